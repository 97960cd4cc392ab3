import random
import re
import uuid
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL
from odoo.tools.sql import create_index

from ..pbx.conference import DTMF_EVENT
from ..tools.ari_events import BUSY_CAUSES, caller_number, dialled_number, event_datetime, hangup_cause
from ..tools.phone import format_international, to_e164, to_e164_lenient

FAILURE_CAUSES = {1, 3, 27, 34, 38, 41, 42}  # unallocated number, no route, out of order, congestion, ...
DIAL_PREFIX = "telephony-dial-"
CALLBACK_FIELDS = {"state", "direction", "caller_number", "called_number", "start_date", "company_id"}
DTMF_PATTERN = re.compile(r"[0-9*#]{1,32}")
RING_SECONDS = 45


def callback_pending_sql(alias):
    """SQL condition: a missed inbound call from a known number with no later answered call with that
    number, nor any later call placed to it (a call back attempt counts), in the same company."""
    return SQL(
        f"""{alias}.state = 'missed' AND {alias}.direction = 'inbound' AND {alias}.contact_number_e164 IS NOT NULL
        AND NOT EXISTS (
            SELECT 1 FROM telephony_call later
             WHERE later.contact_number_e164 = {alias}.contact_number_e164
               AND later.company_id = {alias}.company_id
               AND later.start_date > {alias}.start_date
               AND (later.state = 'answered' OR later.direction = 'outbound'))"""
    )


class TelephonyCall(models.Model):
    """One call as the PBX saw it. Rows are written by the PBX listener, never by hand."""

    _name = "telephony.call"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _description = "Call"
    _order = "start_date desc, id desc"
    _check_company_auto = True

    direction = fields.Selection(
        [("inbound", "Inbound"), ("outbound", "Outbound"), ("internal", "Internal")], required=True, index=True
    )
    state = fields.Selection(
        [
            ("ringing", "Ringing"),
            ("answered", "Answered"),
            ("missed", "Missed"),
            ("busy", "Busy"),
            ("failed", "Failed"),
        ],
        required=True,
        default="ringing",
        index=True,
    )
    caller_number = fields.Char()
    caller_number_e164 = fields.Char(
        string="Caller Number (E.164)", compute="_compute_numbers_e164", store=True, index="btree_not_null"
    )
    called_number = fields.Char()
    called_number_e164 = fields.Char(
        string="Called Number (E.164)", compute="_compute_numbers_e164", store=True, index="btree_not_null"
    )
    contact_number_e164 = fields.Char(
        string="Contact Number (E.164)",
        compute="_compute_numbers_e164",
        store=True,
        index="btree_not_null",
        help="The outside party's number: the caller of an inbound call, the called number of an outbound one.",
    )
    partner_id = fields.Many2one("res.partner", string="Contact", index="btree_not_null")
    user_id = fields.Many2one("res.users", index="btree_not_null")
    employee_id = fields.Many2one("hr.employee", index="btree_not_null")
    conference_id = fields.Many2one("telephony.conference", index="btree_not_null")
    incoming_number_id = fields.Many2one("telephony.incoming.number", index="btree_not_null")
    pbx_id = fields.Many2one("telephony.pbx", string="PBX", required=True, ondelete="restrict")
    pbx_unique_id = fields.Char(string="PBX Call Id", required=True, help="The PBX's unique id of the call.")
    start_date = fields.Datetime(string="Started On", required=True, default=fields.Datetime.now, index=True)
    answer_date = fields.Datetime(string="Answered On")
    end_date = fields.Datetime(string="Ended On")
    ring_seconds = fields.Integer(compute="_compute_durations", store=True, aggregator="avg")
    talk_seconds = fields.Integer(compute="_compute_durations", store=True, aggregator="sum")
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company, index=True)
    callback_pending = fields.Boolean(
        string="Not Called Back",
        readonly=True,
        copy=False,
        help="A missed call from a known number with no later answered call with that number, nor a call placed to it.",
    )
    followup_scheduled = fields.Boolean(
        string="Call Back Scheduled", readonly=True, copy=False, help="A call-back activity was scheduled for it."
    )

    _sql_constraints = [
        ("pbx_unique_id_uniq", "UNIQUE(pbx_id, pbx_unique_id)", "The PBX reported this call id twice."),
    ]

    def init(self):
        # The reports read a company's calls over a period, and call-back checks look a number's later calls up.
        create_index(self.env.cr, "telephony_call_company_start_idx", self._table, ["company_id", "start_date"])
        create_index(
            self.env.cr,
            "telephony_call_contact_number_start_idx",
            self._table,
            ["contact_number_e164", "start_date"],
            where="contact_number_e164 IS NOT NULL",
        )

    def _update_callback_pending(self):
        """Keep "not called back" true to these calls: a call back (answered, or placed to the number)
        clears the earlier missed calls of its number; a missed call is pending unless one came later.
        Stored, so that the reports count it instead of looking every missed call's number up."""
        if not self.ids:
            return
        self.flush_recordset(["state", "direction", "contact_number_e164", "start_date", "company_id"])
        ids = tuple(self.ids)
        self.env.cr.execute(
            SQL(
                """UPDATE telephony_call missed
                      SET callback_pending = false
                     FROM telephony_call back
                    WHERE back.id IN %s
                      AND (back.state = 'answered' OR back.direction = 'outbound')
                      AND missed.callback_pending
                      AND missed.contact_number_e164 = back.contact_number_e164
                      AND missed.company_id = back.company_id
                      AND missed.start_date < back.start_date""",
                ids,
            )
        )
        self.env.cr.execute(self._set_callback_pending_sql(SQL("id IN %s", ids)))
        self.invalidate_model(["callback_pending"])

    @api.model
    def _recompute_callback_pending_all(self):
        """Recompute "not called back" on the whole journal in one statement (upgrade, bulk imports)."""
        self.flush_model()
        # Fresh statistics first: after a bulk load, the planner would otherwise scan the whole journal for
        # every missed call instead of using the (number, start) index.
        self.env.cr.execute("ANALYZE telephony_call")
        self.env.cr.execute(self._set_callback_pending_sql(SQL("TRUE")))
        self.invalidate_model(["callback_pending"])

    @api.model
    def _set_callback_pending_sql(self, where):
        # Only the rows whose flag changes are written: rewriting a million rows to store the same value is
        # what made a full recompute slow.
        pending = SQL("COALESCE((%s), false)", callback_pending_sql("telephony_call"))
        return SQL(
            "UPDATE telephony_call SET callback_pending = %s WHERE %s AND callback_pending IS DISTINCT FROM %s",
            pending,
            where,
            pending,
        )

    @api.depends("direction", "caller_number", "called_number", "company_id.country_id")
    def _compute_numbers_e164(self):
        for call in self:
            country_code = call.company_id.country_id.code
            call.caller_number_e164 = to_e164_lenient(call.caller_number, country_code)
            call.called_number_e164 = to_e164_lenient(call.called_number, country_code)
            call.contact_number_e164 = {
                "inbound": call.caller_number_e164,
                "outbound": call.called_number_e164,
            }.get(call.direction, False)

    @api.model_create_multi
    def create(self, vals_list):
        # The PBX journals calls by the thousand: no follower, creation message or tracking for each of them;
        # the thread is there for the call-back activities and notes.
        quiet = self.with_context(mail_create_nosubscribe=True, mail_create_nolog=True, tracking_disable=True)
        calls = super(TelephonyCall, quiet).create(vals_list).with_env(self.env)
        calls.filtered(lambda call: not call.partner_id and call.contact_number_e164)._match_partner()
        calls._update_callback_pending()
        return calls

    def write(self, vals):
        result = super().write(vals)
        if vals.keys() & CALLBACK_FIELDS:
            self._update_callback_pending()
        return result

    def _match_partner(self):
        """Link each call to the contact its outside number belongs to (see res.partner._telephony_match)."""
        partners = self.env["res.partner"].sudo()
        for call in self:
            call.partner_id = partners._telephony_match(call.contact_number_e164, call.company_id)[:1]

    @api.depends("start_date", "answer_date", "end_date")
    def _compute_durations(self):
        for call in self:
            rang_until = call.answer_date or call.end_date
            call.ring_seconds = _seconds_between(call.start_date, rang_until)
            call.talk_seconds = _seconds_between(call.answer_date, call.end_date)

    @api.depends("direction", "caller_number", "called_number", "partner_id")
    def _compute_display_name(self):
        labels = dict(self._fields["direction"]._description_selection(self.env))
        for call in self:
            other = call.called_number if call.direction == "outbound" else call.caller_number
            who = call.partner_id.display_name or other or self.env._("unknown number")
            call.display_name = f"{labels.get(call.direction, '')} · {who}"

    @api.model
    def _ari_open_inbound_call(self, pbx, event):
        """Journal a call the PBX sent into the application; the PBX's channel id keys the row."""
        called = dialled_number(event)
        caller = caller_number(event)
        destination = pbx._resolve_destination(called, caller)
        return self.create(
            {
                "pbx_id": pbx.id,
                "pbx_unique_id": event["channel"]["id"],
                "company_id": pbx.company_id.id,
                "caller_number": caller,
                "called_number": called,
                "start_date": event_datetime(event),
                **destination,
            }
        )

    def _ari_apply(self, event, peer=False):
        """Apply one ARI event about this call's channel (or the peer the PBX rang for it).

        A call a user places from Odoo first rings the user's own phone: it is answered when the
        other side answers, not when the user picks up.
        """
        self.ensure_one()
        kind = event.get("type")
        when = event_datetime(event)
        own_leg_of_placed_call = not peer and self.pbx_unique_id.startswith(DIAL_PREFIX)
        picked_up = kind == "ChannelStateChange" and event["channel"].get("state") == "Up"
        if (kind == "ChannelEnteredBridge" or (picked_up and not own_leg_of_placed_call)) and not self.answer_date:
            self.write({"state": "answered", "answer_date": when})
            return True
        if kind in ("StasisEnd", "ChannelDestroyed") and not self.end_date:
            self._close(when, hangup_cause(event))
            return True
        return False

    def _close(self, when, cause=0):
        """End the call at ``when``; an unanswered call ends busy, failed or missed by the hangup cause."""
        self.ensure_one()
        values = {"end_date": when}
        if self.state == "ringing":
            values["state"] = self._unanswered_state(cause)
        self.write(values)

    @api.model
    def action_dial(self, number):
        """Place a call for the current user: the PBX rings their phone, then calls ``number``.

        ``number`` may be a room's extension: the room's receptionist then asks for its access code,
        which the user types on the phone or in the widget (see :meth:`action_send_dtmf`).
        """
        user = self.env.user
        if not user.telephony_enabled:
            raise UserError(
                self.env._("Calling from Odoo is turned off for you: turn it on in My Preferences › Telephony.")
            )
        if not user.telephony_extension:
            raise UserError(self.env._("You have no extension yet: ask a telephony manager to give you one."))
        number = (number or "").strip()
        pbx = self.env["telephony.pbx"]._default_pbx()
        if not pbx:
            raise UserError(self.env._("No PBX is configured for %(company)s.", company=self.env.company.name))
        internal = bool(re.fullmatch(r"\d{3,5}", number))
        if not internal and not to_e164(number, self.env.company.country_id.code):
            raise UserError(
                self.env._("%(number)s is neither an internal extension nor a valid phone number.", number=number)
                if number
                else self.env._("Type a number to call.")
            )
        channel_id = f"{DIAL_PREFIX}{uuid.uuid4().hex}"
        destination = pbx._resolve_destination(number, user.telephony_extension)
        call = self.sudo().create(
            {
                **destination,
                "direction": "internal" if internal else "outbound",
                "pbx_id": pbx.id,
                "pbx_unique_id": channel_id,
                "company_id": pbx.company_id.id,
                "caller_number": user.telephony_extension,
                "called_number": number,
                "user_id": user.id,
                "employee_id": user.employee_id.id,
            }
        )
        pbx._call_pbx(
            lambda client: client.originate(
                pbx._endpoint_for(user.telephony_extension, internal=True),
                app_args=["dial", number, user.telephony_extension],
                caller_id=f'"{number}" <{number}>',
                timeout=RING_SECONDS,
                channel_id=channel_id,
            )
        )
        return call._telephony_payload()

    def action_send_dtmf(self, digits):
        """Keys typed on the widget's dialpad during my call reach the PBX as if typed on my phone."""
        self.ensure_one()
        if self.user_id != self.env.user:
            raise AccessError(self.env._("You can only type on the keypad of your own calls."))
        if not DTMF_PATTERN.fullmatch(digits or ""):
            raise UserError(self.env._("Only the keys 0-9, * and # can be sent to the PBX."))
        if self.end_date:
            raise UserError(self.env._("This call has ended."))
        channel_id = self.pbx_unique_id
        self.pbx_id._call_pbx(lambda client: client.user_event(DTMF_EVENT, {"channel": channel_id, "digits": digits}))
        return True

    def action_hang_up(self):
        """Hang up my own call (my phone's leg; the PBX hangs up the other side with it)."""
        self.ensure_one()
        if self.user_id != self.env.user:
            raise AccessError(self.env._("You can only hang up your own calls."))
        if not self.end_date:
            channel_id = self.pbx_unique_id
            self.pbx_id._call_pbx(lambda client: client.hangup_if_present(channel_id))
        return True

    @api.model
    def telephony_widget_data(self):
        """What the VoIP widget shows when it opens: my settings, my live call and my last calls."""
        user = self.env.user
        if not user.has_group("telephony.group_telephony_user"):
            return {"enabled": False, "extension": "", "live_call": False, "recent_calls": []}
        recent = self.search([("user_id", "=", user.id)], limit=8)
        live = self.search([("user_id", "=", user.id), ("end_date", "=", False)], limit=1)
        return {
            "enabled": user.telephony_enabled,
            "extension": user.telephony_extension or "",
            "live_call": live._telephony_payload() if live else False,
            "recent_calls": [call._telephony_payload() for call in recent],
        }

    @api.model
    def telephony_search_targets(self, term, limit=8):
        """Who the widget suggests while a number is typed: rooms, colleagues and contacts I can see,
        each with the number the PBX would dial."""
        term = (term or "").strip()
        if len(term) < 2:
            return []
        suggestions = []
        for room in self.env["telephony.conference"].search(
            [("kind", "=", "room"), "|", ("name", "ilike", term), ("extension", "=like", f"{term}%")], limit=limit
        ):
            suggestions.append({"kind": "room", "label": room.name, "number": room.extension})
        for employee in self.env["hr.employee.public"].search(
            ["|", ("name", "ilike", term), ("work_phone", "ilike", term)], limit=limit
        ):
            if number := employee._telephony_number():
                suggestions.append({"kind": "employee", "label": employee.name, "number": number})
        for partner in self.env["res.partner"].search(
            ["|", "|", ("name", "ilike", term), ("phone", "ilike", term), ("mobile", "ilike", term)], limit=limit
        ):
            if number := partner.phone or partner.mobile:
                suggestions.append({"kind": "partner", "label": partner.display_name, "number": number})
        return suggestions[:limit]

    def telephony_caller_card(self):
        """What my widget shows about the other party of this call, and the action my personal
        settings perform for it (an ``ir.actions`` dict, or False)."""
        self.ensure_one()
        self.check_access("read")
        partners = self.env["res.partner"]
        if self.contact_number_e164:
            partners = partners._telephony_match(self.contact_number_e164, self.company_id)
        partner = self.partner_id if self.partner_id in partners or not partners else partners[:1]
        number = self.caller_number if self.direction == "inbound" else self.called_number
        return {
            "call_id": self.id,
            "direction": self.direction,
            "number": number or "",
            "number_international": format_international(self.contact_number_e164) or number or "",
            "partner_id": partner.id,
            "partners": [
                {
                    "id": match.id,
                    "name": match.name or match.display_name,
                    "company_name": match.parent_id.name or "",
                    "is_company": match.is_company,
                    "function": match.function or "",
                }
                for match in partners
            ],
            "colleagues": self.env["hr.employee"]
            .sudo()
            ._telephony_match(self.contact_number_e164, self.company_id)
            .mapped("name"),
            "last_calls": self._telephony_history(partner)._telephony_payloads(),
            "activities": partner._telephony_open_activities() if partner else [],
            "action": self._telephony_action(partner),
        }

    def _telephony_history(self, partner, limit=5):
        """The last calls with this call's other party (the partner's, or the raw number's)."""
        domain = [("id", "!=", self.id)]
        if partner:
            domain.append(("partner_id", "child_of", partner.commercial_partner_id.id))
        elif self.contact_number_e164:
            domain.append(("contact_number_e164", "=", self.contact_number_e164))
        else:
            return self.browse()
        return self.search(domain, limit=limit)

    def _telephony_payloads(self):
        return [call._telephony_payload() for call in self]

    def _telephony_action(self, partner):
        """The personal setting of this call's user for its direction, turned into an action.

        "Do nothing" wins over the unknown-number setting: whoever asked for nothing on a call
        gets nothing, known number or not.
        """
        user = self.user_id or self.env.user
        setting = user.telephony_outgoing_action if self.direction == "outbound" else user.telephony_incoming_action
        if self.direction == "internal" or setting == "nothing":
            return False
        if partner:
            if setting == "timeline":
                return partner.action_telephony_timeline()
            if setting == "lead" and "crm.lead" in self.env:
                return self._telephony_new_lead_action(partner)
            return partner._get_records_action(name=partner.display_name, context={})
        if not self.contact_number_e164:
            return False
        if user.telephony_unknown_action == "timeline":
            return self.env["telephony.timeline"].action_open_for_number(self.contact_number_e164)
        return self.env["telephony.timeline"].action_new_contact(self.contact_number_e164)

    def _telephony_new_lead_action(self, partner):
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("New Lead"),
            "res_model": "crm.lead",
            "views": [[False, "form"]],
            "target": "current",
            "context": {
                "default_name": self.env._("Call with %(partner)s", partner=partner.display_name),
                "default_partner_id": partner.id,
                "default_phone": format_international(self.contact_number_e164),
            },
        }

    def _notify_user(self):
        for call in self.filtered("user_id"):
            call.user_id._bus_send("telephony/call", call._telephony_payload())

    def _telephony_payload(self):
        self.ensure_one()
        return {
            "id": self.id,
            "direction": self.direction,
            "state": self.state,
            "caller_number": self.caller_number or "",
            "called_number": self.called_number or "",
            "partner_id": self.partner_id.id,
            "conference_id": self.conference_id.id,
            "start_date": fields.Datetime.to_string(self.start_date),
            "answer_date": fields.Datetime.to_string(self.answer_date) if self.answer_date else False,
            "end_date": fields.Datetime.to_string(self.end_date) if self.end_date else False,
            "display_name": self.display_name,
        }

    @api.model
    def _cron_schedule_callbacks(self, limit=500):
        """Missed calls not called back within the company's delay get a "Call back" activity, once each:
        for the user the call rang (or the company's call-back team, in turn), on the caller's contact when
        known, else on the call itself."""
        activity_type = self.env.ref("telephony.mail_activity_type_call_back")
        now = fields.Datetime.now()
        for company in self.env["res.company"].search([]):
            due = self.search(
                [
                    ("company_id", "=", company.id),
                    ("followup_scheduled", "=", False),
                    ("start_date", "<=", now - timedelta(hours=company.telephony_followup_hours)),
                    ("callback_pending", "=", True),
                ],
                limit=limit,
                order="start_date, id",
            )
            team = company.telephony_followup_user_ids
            for index, call in enumerate(due):
                assignee = team[index % len(team)] if team else call.user_id or company._telephony_followup_fallback()
                call._schedule_callback(activity_type, assignee)
            due.followup_scheduled = True

    def _schedule_callback(self, activity_type, user):
        self.ensure_one()
        record = self.partner_id or self
        number = format_international(self.contact_number_e164) or self.caller_number
        record.activity_schedule(
            activity_type_id=activity_type.id,
            summary=self.env._("Call back %(number)s", number=number),
            note=self.env._(
                "Missed call from %(number)s on %(date)s (UTC).",
                number=number,
                date=fields.Datetime.to_string(self.start_date),
            ),
            user_id=user.id,
        )

    @api.model
    def _unanswered_state(self, cause):
        if cause in BUSY_CAUSES:
            return "busy"
        if cause in FAILURE_CAUSES:
            return "failed"
        return "missed"

    @api.model
    def _generate_demo_calls(self, count=300, days=60, seed=18):
        """Fill the journal with ``count`` plausible calls over the last ``days`` days (demo data)."""
        rng = random.Random(seed)
        pbx = self.env.ref("telephony.telephony_pbx_demo")
        users = self.env["res.users"].search([("telephony_extension", "!=", False), ("share", "=", False)])
        partners = self.env["res.partner"].search([("phone", "!=", False), ("is_company", "=", False)], limit=40)
        rooms = self.env["telephony.conference"].search([("kind", "=", "room")])
        incoming_numbers = self.env["telephony.incoming.number"].search([("company_id", "=", pbx.company_id.id)])
        now = fields.Datetime.now()
        vals_list = []
        for index in range(count):
            start = (now - timedelta(days=rng.uniform(0, days))).replace(hour=rng.randint(8, 18))
            if start > now:
                start -= timedelta(days=1)
            vals_list.append(_demo_call_vals(rng, index, start, pbx, users, partners, rooms, incoming_numbers))
        return self.create(vals_list)

    def _webhook_apply(self, event):
        """Apply one webhook event (see tools/webhook.py); events arrive in any order, and only move the call
        forward. Returns whether the call changed."""
        self.ensure_one()
        when = event["timestamp"]
        if event["event"] == "ringing":
            if when >= self.start_date:
                return False
            self.start_date = when  # a late ringing event still tells when the call began
            return True
        if event["event"] == "answered":
            if self.answer_date or (self.end_date and when > self.end_date):
                return False
            self.write({"state": "answered", "answer_date": when, "start_date": min(when, self.start_date)})
            return True
        if self.end_date:
            return False
        self._close(max(when, self.answer_date or self.start_date), event["cause"])
        return True


def _seconds_between(start, end):
    if not start or not end:
        return 0
    return max(0, int((end - start).total_seconds()))


def _demo_call_vals(rng, index, start, pbx, users, partners, rooms, incoming_numbers):
    user = rng.choice(users)
    direction = rng.choices(["inbound", "outbound", "internal"], weights=[5, 4, 1])[0]
    state = rng.choices(["answered", "missed", "busy", "failed"], weights=[14, 4, 1, 1])[0]
    if direction == "outbound" and state == "missed":
        state = "answered"
    ring = timedelta(seconds=rng.randint(2, 30))
    talk = timedelta(seconds=rng.randint(15, 1200))
    partner = rng.choice(partners) if partners and direction != "internal" and rng.random() < 0.8 else partners[:0]
    external = partner.phone or f"+1 415 555 {rng.randint(1000, 9999)}"
    vals = {
        "pbx_id": pbx.id,
        "pbx_unique_id": f"demo-{index:05d}",
        "direction": direction,
        "state": state,
        "user_id": user.id,
        "employee_id": user.employee_id.id,
        "partner_id": partner.id,
        "start_date": start,
        "answer_date": start + ring if state == "answered" else False,
        "end_date": start + ring + (talk if state == "answered" else timedelta()),
    }
    if direction == "inbound":
        vals.update(caller_number=external, called_number=user.telephony_extension)
        if incoming_numbers and rng.random() < 0.3:
            incoming = rng.choice(incoming_numbers)
            vals.update(incoming_number_id=incoming.id, called_number=incoming.number)
            if incoming.conference_id:
                vals.update(conference_id=incoming.conference_id.id)
    elif direction == "outbound":
        vals.update(caller_number=user.telephony_extension, called_number=external)
    else:
        room = rng.choice(rooms) if rooms and rng.random() < 0.5 else rooms[:0]
        other = rng.choice(users)
        vals.update(
            caller_number=user.telephony_extension,
            called_number=room.extension or other.telephony_extension,
            conference_id=room.id,
        )
    return vals
