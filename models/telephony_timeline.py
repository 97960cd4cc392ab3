import heapq
from datetime import datetime, time

import pytz

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import html2plaintext

from ..tools.groups import USER_GROUP
from ..tools.phone import display_number, format_international, guess_origin, to_e164_lenient

PAGE_SIZE = 30
MAX_PAGE_SIZE = 200


class TelephonyTimeline(models.AbstractModel):
    """The client timeline (MIKO's "лента"): one chronological feed of everything that happened
    with a client, newest first. Each source is read with the user's own rights."""

    _name = "telephony.timeline"
    _description = "Client Timeline"

    @api.model
    def action_open_for_number(self, number):
        e164 = to_e164_lenient(number, self.env.company.country_id.code)
        return {
            "type": "ir.actions.client",
            "tag": "telephony_timeline",
            "name": self.env._("Timeline of %(number)s", number=format_international(e164) or number),
            "params": {"number": e164 or number},
        }

    @api.model
    def action_new_contact(self, number):
        """A new-contact form holding ``number`` in international format, with the country and the
        place phonenumbers' geocoder reads from it."""
        e164 = to_e164_lenient(number, self.env.company.country_id.code)
        country_code, place = guess_origin(e164, self.env.lang)
        country = self.env["res.country"].search([("code", "=", country_code)], limit=1) if country_code else False
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("New Contact"),
            "res_model": "res.partner",
            "views": [[False, "form"]],
            "target": "current",
            "context": {
                "default_phone": format_international(e164) or number,
                "default_country_id": country.id if country else False,
                "default_city": place.split(",")[0],
            },
        }

    @api.model
    def get_feed(self, partner_id=False, number=False, kinds=None, offset=0, limit=PAGE_SIZE):
        """One page of the timeline of a partner (and its contacts) or, for an unknown caller, of a
        raw number (its calls). ``kinds`` keeps only those kinds of items (see :meth:`_sources`)."""
        if not self.env.user.has_group(USER_GROUP):
            raise AccessError(self.env._("The client timeline is for telephony users."))
        offset = max(0, int(offset))
        limit = min(max(1, int(limit)), MAX_PAGE_SIZE)
        partner, e164 = self._subject(partner_id, number)
        sources = self._sources(partner, e164)
        wanted = [kind for kind in sources if kinds is None or kind in kinds]
        # Each source gives at most offset + limit + 1 items, newest first: merging them gives the page
        # and tells whether another one follows, without reading whole histories.
        window = offset + limit + 1
        merged = list(heapq.merge(*(sources[kind](window) for kind in wanted), key=self._moment, reverse=True))
        page = merged[offset : offset + limit]
        for item in page:
            # A date (a deadline, an invoice date) is a day, the same everywhere: the browser must not
            # read it as UTC midnight and shift it into the previous day west of UTC.
            to_string = fields.Date.to_string if item["date_kind"] == "date" else fields.Datetime.to_string
            item["date"] = to_string(item["date"])
        return {
            "partner": self._partner_header(partner) if partner else False,
            "number": e164 or "",
            "number_international": format_international(e164) or "",
            "can_create_contact": self.env["res.partner"].has_access("create"),
            "can_link_contact": self.env["telephony.call"]._telephony_may_link_contact(),
            "kinds": [{"key": kind, "label": self._kind_labels()[kind]} for kind in sources],
            "items": page,
            "has_more": len(merged) > offset + limit,
        }

    @api.model
    def _moment(self, item):
        """Where ``item`` sits in the feed: a datetime (UTC) as it is, a date at the start of that day in
        the user's time zone."""
        if item["date_kind"] == "datetime":
            return item["date"]
        try:
            time_zone = pytz.timezone(self.env.context.get("tz") or self.env.user.tz or "UTC")
        except pytz.UnknownTimeZoneError:
            time_zone = pytz.utc
        start_of_day = time_zone.localize(datetime.combine(item["date"], time.min))
        return start_of_day.astimezone(pytz.utc).replace(tzinfo=None)

    @api.model
    def _subject(self, partner_id, number):
        if partner_id:
            partner = self.env["res.partner"].browse(int(partner_id)).exists()
            if not partner:
                raise UserError(self.env._("This contact no longer exists."))
            partner.check_access("read")
            return partner, False
        if not number:
            raise UserError(self.env._("A timeline is of a contact or of a phone number: this one names neither."))
        e164 = to_e164_lenient(number, self.env.company.country_id.code)
        if not e164:
            raise UserError(self.env._("%(number)s is not a phone number.", number=number or "''"))
        return self.env["res.partner"], e164

    @api.model
    def _kind_labels(self):
        return {
            "call": self.env._("Calls"),
            "message": self.env._("Messages"),
            "note": self.env._("Notes"),
            "activity": self.env._("Activities"),
            "lead": self.env._("Leads"),
            "sale_order": self.env._("Sales Orders"),
            "invoice": self.env._("Invoices"),
        }

    @api.model
    def _sources(self, partner, e164):
        """The kinds of items this timeline holds, each with a function giving its newest ``n``."""
        if not partner:
            return {"call": lambda n: self._call_items([("contact_number_e164", "=", e164)], n)}
        scope = [("partner_id", "child_of", partner.id)]
        sources = {
            "call": lambda n: self._call_items(scope, n),
            "message": lambda n: self._message_items(partner, n, internal=False),
            "note": lambda n: self._message_items(partner, n, internal=True),
            "activity": lambda n: self._activity_items(partner, n),
        }
        # Leads, orders and invoices join the feed when their app is installed and the user may read them.
        if self._readable("crm.lead"):
            sources["lead"] = lambda n: self._lead_items(scope, n)
        if self._readable("sale.order"):
            sources["sale_order"] = lambda n: self._sale_order_items(scope, n)
        if self._readable("account.move"):
            sources["invoice"] = lambda n: self._invoice_items(scope, n)
        return sources

    @api.model
    def _readable(self, model):
        return model in self.env and self.env[model].has_access("read")

    @api.model
    def _partner_header(self, partner):
        return {
            "id": partner.id,
            "name": partner.display_name,
            "is_company": partner.is_company,
            "phone": display_number(partner.phone, self.env.company.country_id.code),
            "mobile": display_number(partner.mobile, self.env.company.country_id.code),
            "email": partner.email or "",
        }

    @api.model
    def _call_items(self, domain, limit):
        labels = dict(self.env["telephony.call"]._fields["direction"]._description_selection(self.env))
        states = dict(self.env["telephony.call"]._fields["state"]._description_selection(self.env))
        calls = self.env["telephony.call"].search(domain, limit=limit, order="start_date desc, id desc")
        recording_urls = calls._telephony_recording_urls()
        return [
            {
                "kind": "call",
                "key": f"call-{call.id}",
                "model": "telephony.call",
                "res_id": call.id,
                "date": call.start_date,
                "date_kind": "datetime",
                "title": labels[call.direction],
                "direction": call.direction,
                "state": call.state,
                "state_label": states[call.state],
                "missed": call.state == "missed",
                "number": display_number(call._telephony_other_number(), call.company_id.country_id.code),
                "user_name": call.user_id.name or "",
                "ring_seconds": call.ring_seconds,
                "talk_seconds": call.talk_seconds,
                "recording_url": recording_urls.get(call.id, False),
            }
            for call in calls
        ]

    @api.model
    def _partner_ids(self, partner):
        return self.env["res.partner"].with_context(active_test=False).search([("id", "child_of", partner.id)]).ids

    @api.model
    def _message_items(self, partner, limit, internal):
        domain = [
            ("model", "=", "res.partner"),
            ("res_id", "in", self._partner_ids(partner)),
            ("message_type", "in", ["comment", "email", "email_outgoing"]),
            ("subtype_id.internal", "=", internal),
        ]
        kind = "note" if internal else "message"
        return [
            {
                "kind": kind,
                "key": f"{kind}-{message.id}",
                "model": message.model,
                "res_id": message.res_id,
                "date": message.date,
                "date_kind": "datetime",
                "title": message.subject or message.author_id.name or message.email_from or "",
                "author": message.author_id.name or message.email_from or "",
                "body": html2plaintext(message.body or ""),
            }
            for message in self.env["mail.message"].search(domain, limit=limit, order="date desc, id desc")
        ]

    @api.model
    def _activity_items(self, partner, limit):
        domain = [("res_model", "=", "res.partner"), ("res_id", "in", self._partner_ids(partner))]
        return [
            {
                "kind": "activity",
                "key": f"activity-{activity.id}",
                "model": "res.partner",
                "res_id": activity.res_id,
                "date": activity.date_deadline,
                "date_kind": "date",
                "title": activity.summary or activity.activity_type_id.name or "",
                "activity_type": activity.activity_type_id.name or "",
                "user_name": activity.user_id.name or "",
                "state": activity.state,
                "body": html2plaintext(activity.note or ""),
            }
            for activity in self.env["mail.activity"].search(domain, limit=limit, order="date_deadline desc, id desc")
        ]

    @api.model
    def _lead_items(self, scope, limit):
        return [
            {
                "kind": "lead",
                "key": f"lead-{lead.id}",
                "model": "crm.lead",
                "res_id": lead.id,
                "date": lead.create_date,
                "date_kind": "datetime",
                "title": lead.name,
                "stage": lead.stage_id.name or "",
                "amount": lead.expected_revenue,
                "currency_id": lead.company_currency.id,
            }
            for lead in self.env["crm.lead"].search(scope, limit=limit, order="create_date desc, id desc")
        ]

    @api.model
    def _sale_order_items(self, scope, limit):
        return [
            {
                "kind": "sale_order",
                "key": f"sale_order-{order.id}",
                "model": "sale.order",
                "res_id": order.id,
                "date": order.date_order,
                "date_kind": "datetime",
                "title": order.name,
                "stage": dict(order._fields["state"]._description_selection(self.env)).get(order.state, ""),
                "amount": order.amount_total,
                "currency_id": order.currency_id.id,
            }
            for order in self.env["sale.order"].search(scope, limit=limit, order="date_order desc, id desc")
        ]

    @api.model
    def _invoice_items(self, scope, limit):
        """Invoices by their invoice date; a draft has none yet and sits at its creation. Dated invoices
        and drafts are read apart, each in its own order, then merged: ordering by invoice date alone
        would put every draft first (PostgreSQL sorts NULL first in descending order)."""
        domain = [*scope, ("move_type", "in", ["out_invoice", "out_refund"]), ("state", "!=", "cancel")]
        moves = self.env["account.move"]
        dated = moves.search([*domain, ("invoice_date", "!=", False)], limit=limit, order="invoice_date desc, id desc")
        drafts = moves.search([*domain, ("invoice_date", "=", False)], limit=limit, order="create_date desc, id desc")
        items = heapq.merge(
            (self._invoice_item(move, move.invoice_date, "date") for move in dated),
            (self._invoice_item(move, move.create_date, "datetime") for move in drafts),
            key=self._moment,
            reverse=True,
        )
        return list(items)[:limit]

    @api.model
    def _invoice_item(self, move, date, date_kind):
        return {
            "kind": "invoice",
            "key": f"invoice-{move.id}",
            "model": "account.move",
            "res_id": move.id,
            "date": date,
            "date_kind": date_kind,
            "title": move.name,
            "stage": dict(move._fields["payment_state"]._description_selection(self.env)).get(move.payment_state, ""),
            "amount": move.amount_total,
            "currency_id": move.currency_id.id,
        }
