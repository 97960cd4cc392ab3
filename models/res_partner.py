from collections import defaultdict

from odoo import api, fields, models
from odoo.tools import SQL
from odoo.tools.sql import column_exists, create_column

from ..tools.groups import USER_GROUP
from ..tools.phone import to_e164_lenient

NUMBER_FIELDS = {"phone": "phone_e164", "mobile": "mobile_e164"}
RECOMPUTE_BATCH_SIZE = 5000


class ResPartner(models.Model):
    _inherit = "res.partner"

    phone_e164 = fields.Char(
        string="Phone (E.164)",
        compute="_compute_numbers_e164",
        store=True,
        index="btree_not_null",
        copy=False,
        help="The phone in E.164, which incoming calls are matched on; empty when the phone cannot be read.",
    )
    mobile_e164 = fields.Char(
        string="Mobile (E.164)",
        compute="_compute_numbers_e164",
        store=True,
        index="btree_not_null",
        copy=False,
        help="The mobile in E.164, which incoming calls are matched on; empty when the mobile cannot be read.",
    )
    telephony_call_count = fields.Integer(string="Calls", compute="_compute_telephony_call_count", groups=USER_GROUP)

    def _auto_init(self):
        # Created before the ORM sees them so that installing on a large contact book does not compute
        # every partner in one transaction held in memory: the post-init hook fills them in batches.
        for column in NUMBER_FIELDS.values():
            if not column_exists(self.env.cr, self._table, column):
                create_column(self.env.cr, self._table, column, "varchar")
        return super()._auto_init()

    @api.depends("phone", "mobile", "country_id", "company_id.country_id")
    def _compute_numbers_e164(self):
        for partner in self:
            region = partner._telephony_region()
            partner.phone_e164 = to_e164_lenient(partner.phone, region)
            partner.mobile_e164 = to_e164_lenient(partner.mobile, region)

    def _telephony_region(self):
        """The country a number typed without its country code belongs to: the partner's own, else
        their company's, else the current company's."""
        self.ensure_one()
        return (self.country_id or self.company_id.country_id or self.env.company.country_id).code

    def _compute_telephony_call_count(self):
        calls = self.env["telephony.call"]
        for partner in self:
            partner_id = partner._origin.id
            partner.telephony_call_count = partner_id and calls.search_count([("partner_id", "child_of", partner_id)])

    @api.model_create_multi
    def create(self, vals_list):
        partners = super().create(vals_list)
        partners._telephony_attach_calls()
        return partners

    def write(self, vals):
        result = super().write(vals)
        if vals.keys() & {"phone", "mobile", "country_id"}:
            self._telephony_attach_calls()
        return result

    def _telephony_attach_calls(self):
        """Give the calls journaled under one of these partners' numbers, while no contact had it, to
        that partner: a contact created after the first calls from a number keeps its history.

        A call goes only to a contact its company may match (see :meth:`_telephony_match`): one of the
        call's company, else a shared contact (no company). A Belgian company's new contact never takes
        a French company's call."""
        partners_of_number = defaultdict(list)
        for partner in self:
            for number in (partner.phone_e164, partner.mobile_e164):
                if number:
                    partners_of_number[number].append(partner)
        if not partners_of_number:
            return
        calls = (
            self.env["telephony.call"]
            .sudo()
            .search([("partner_id", "=", False), ("contact_number_e164", "in", list(partners_of_number))])
        )
        for (number, company), same_calls in calls.grouped(lambda c: (c.contact_number_e164, c.company_id)).items():
            candidates = partners_of_number[number]
            partner = next((p for p in candidates if p.company_id == company), None) or next(
                (p for p in candidates if not p.company_id), None
            )
            if partner:
                same_calls.partner_id = partner

    @api.model
    def _telephony_match(self, number, company=None):
        """The partners whose phone or mobile is ``number``, the one to show first leading.

        ``number`` may come in any format; it is read with the company's country. A number that
        cannot be read matches nobody. When several partners share a number (a switchboard shared
        by a company and its contacts), the company comes first, then the partner of the most
        recent call, then the oldest record.
        """
        company = company or self.env.company
        # A PBX sends E.164: only a national number needs the company's country to be read.
        international = (number or "").lstrip().startswith("+")
        e164 = to_e164_lenient(number, None if international else self._telephony_company_region(company))
        if not e164:
            return self.browse()
        partners = self.search(
            [
                "|",
                ("phone_e164", "=", e164),
                ("mobile_e164", "=", e164),
                ("company_id", "in", [False, company.id]),
            ]
        )
        return partners._telephony_sorted_by_relevance() if len(partners) > 1 else partners

    @api.model
    def _telephony_company_region(self, company):
        """The country code of ``company``, in one small query: reading ``company.country_id`` through the
        ORM loads every column of the company and of its partner, which costs a lookup several times over."""
        self.env["res.partner"].flush_model(["country_id"])
        self.env.cr.execute(
            SQL(
                """SELECT country.code
                     FROM res_company company
                     JOIN res_partner partner ON partner.id = company.partner_id
                     JOIN res_country country ON country.id = partner.country_id
                    WHERE company.id = %s""",
                company.id,
            )
        )
        row = self.env.cr.fetchone()
        return row and row[0]

    def _telephony_sorted_by_relevance(self):
        last_calls = dict(
            self.env["telephony.call"]
            .sudo()
            ._read_group([("partner_id", "in", self.ids)], ["partner_id"], ["start_date:max"])
        )
        oldest = fields.Datetime.to_datetime("1970-01-01")
        return self.sorted(
            lambda partner: (not partner.is_company, -(last_calls.get(partner) or oldest).timestamp(), partner.id)
        )

    @api.model
    def _telephony_recompute_numbers(self, batch_size=RECOMPUTE_BATCH_SIZE):
        """Recompute every partner's E.164 numbers by batches of ``batch_size`` rows, in SQL, without
        loading the contact book into the ORM (install on an existing database, a bulk import).

        Returns the number of partners read.
        """
        default_region = self.env.company.country_id.code
        self.flush_model(["phone", "mobile", "country_id", "company_id"])
        last_id = 0
        total = 0
        while rows := self._telephony_number_rows_after(last_id, batch_size):
            values = [
                SQL(
                    "(%s, %s, %s)",
                    partner_id,
                    to_e164_lenient(phone, region or default_region) or None,
                    to_e164_lenient(mobile, region or default_region) or None,
                )
                for partner_id, phone, mobile, region in rows
            ]
            self.env.cr.execute(
                SQL(
                    """UPDATE res_partner AS partner
                          SET phone_e164 = number.phone, mobile_e164 = number.mobile
                         FROM (VALUES %s) AS number(id, phone, mobile)
                        WHERE partner.id = number.id
                          AND (partner.phone_e164 IS DISTINCT FROM number.phone
                               OR partner.mobile_e164 IS DISTINCT FROM number.mobile)""",
                    SQL(", ").join(values),
                )
            )
            last_id = rows[-1][0]
            total += len(rows)
        self.invalidate_model(list(NUMBER_FIELDS.values()))
        return total

    def _telephony_number_rows_after(self, last_id, limit):
        self.env.cr.execute(
            SQL(
                """SELECT partner.id, partner.phone, partner.mobile, COALESCE(own.code, company_country.code)
                     FROM (SELECT id, phone, mobile, country_id, company_id
                             FROM res_partner
                            WHERE id > %s
                         ORDER BY id
                            LIMIT %s) partner
                LEFT JOIN res_country own ON own.id = partner.country_id
                LEFT JOIN res_company company ON company.id = partner.company_id
                LEFT JOIN res_partner company_partner ON company_partner.id = company.partner_id
                LEFT JOIN res_country company_country ON company_country.id = company_partner.country_id
                 ORDER BY partner.id""",
                last_id,
                limit,
            )
        )
        return self.env.cr.fetchall()

    def _telephony_open_activities(self, limit=5):
        """The activities still to do on this contact, soonest first, as the caller card lists them."""
        self.ensure_one()
        activities = self.env["mail.activity"].search(
            [("res_model", "=", "res.partner"), ("res_id", "=", self.id)], limit=limit, order="date_deadline, id"
        )
        return [
            {
                "id": activity.id,
                "summary": activity.summary or activity.activity_type_id.name or "",
                "date_deadline": fields.Date.to_string(activity.date_deadline),
                "state": activity.state,
                "user_name": activity.user_id.name or "",
            }
            for activity in activities
        ]

    def action_telephony_timeline(self):
        self.ensure_one()
        return {
            "type": "ir.actions.client",
            "tag": "telephony_timeline",
            "name": self.env._("Timeline of %(partner)s", partner=self.display_name),
            "params": {"partner_id": self.id},
        }
