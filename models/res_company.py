from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..tools.groups import MANAGER_GROUP
from .telephony_recording import POLICY_HELP, RECORDING_POLICIES

MAX_RETENTION_DAYS = 36500
MAX_FOLLOWUP_HOURS = 8760  # a year: a missed call older than that is no call-back any more


class ResCompany(models.Model):
    _inherit = "res.company"

    telephony_followup_hours = fields.Integer(
        string="Call Back Within (Hours)",
        default=2,
        help="A missed call not called back within this many hours gets a call-back activity.",
    )
    telephony_followup_user_ids = fields.Many2many(
        "res.users",
        "res_company_telephony_followup_user_rel",
        "company_id",
        "user_id",
        string="Call-Back Team",
        help="Who calls missed callers back, in turn. Empty: the user the missed call rang.",
    )

    telephony_log_calls_on_contact = fields.Boolean(
        string="Calls in the Contact's Chatter",
        default=True,
        help="Every call with a contact is logged in the contact's chatter when it ends: direction, how it ended, "
        "talk or ring time and who took it. A note for colleagues, never an e-mail.",
    )

    telephony_conference_caller_number = fields.Char(
        string="Conference Caller Number",
        help="The number people called into a meeting see. Rooms show their own extension. "
        "Empty: meeting calls show the name 'Conference' and no number.",
    )

    telephony_recording_policy = fields.Selection(
        RECORDING_POLICIES,
        string="Record Calls",
        default="never",
        required=True,
        help=f"The company's default; users, incoming numbers and rooms may say otherwise. {POLICY_HELP}",
    )
    telephony_recording_announce = fields.Boolean(
        string="Announce Recordings",
        default=True,
        help="Both parties hear the PBX form's announcement before a call is recorded.",
    )
    telephony_recording_retention_days = fields.Integer(
        string="Keep Recordings (Days)",
        default=0,
        help="Recordings older than this are deleted every day, and the deletion noted on their call. 0 keeps them.",
    )

    _sql_constraints = [
        (
            "telephony_recording_retention_days_positive",
            "CHECK(telephony_recording_retention_days >= 0)",
            "Recordings are kept for 0 days (forever) or more.",
        ),
    ]

    @api.constrains("telephony_recording_retention_days")
    def _check_telephony_recording_retention(self):
        # The daily cron subtracts the retention from today: past year 1, Python's dates overflow and the cron fails
        # for every company.
        for company in self:
            if company.telephony_recording_retention_days > MAX_RETENTION_DAYS:
                raise ValidationError(
                    self.env._(
                        "Recordings are kept for at most %(days)s days (100 years); %(asked)s is too many.",
                        days=MAX_RETENTION_DAYS,
                        asked=company.telephony_recording_retention_days,
                    )
                )

    @api.constrains("telephony_followup_hours")
    def _check_telephony_followup_hours(self):
        # The call-back cron subtracts these hours from now: far enough, Python's dates overflow and the cron fails
        # for every company.
        for company in self:
            if not 0 <= company.telephony_followup_hours <= MAX_FOLLOWUP_HOURS:
                raise ValidationError(
                    self.env._(
                        "The call-back delay must be between 0 and %(most)s hours (a year); %(asked)s is not.",
                        most=MAX_FOLLOWUP_HOURS,
                        asked=company.telephony_followup_hours,
                    )
                )

    @api.constrains("telephony_followup_user_ids")
    def _check_telephony_followup_users(self):
        # A call-back shows the caller's number and the time of the call: only the company's own people get it.
        for company in self:
            strangers = company.telephony_followup_user_ids.filtered(
                lambda user, company=company: company not in user.company_ids
            )
            if strangers:
                raise ValidationError(
                    self.env._(
                        "The call-back team of %(company)s may only hold its users; %(users)s do not work for it.",
                        company=company.display_name,
                        users=", ".join(strangers.mapped("name")),
                    )
                )

    def write(self, vals):
        if "user_ids" not in vals:
            return super().write(vals)
        users_before = self.user_ids
        result = super().write(vals)
        # The users' side of this many2many (company_ids) checks that their extensions are free in their new
        # companies; added from the company's side, they must not slip past it.
        (self.user_ids - users_before)._validate_fields(["company_ids"])
        return result

    def _telephony_followup_fallback(self):
        """Who calls back a missed call that rang nobody in particular (an incoming number routed to a room):
        a telephony manager of this company, who reads all its calls; those whose main company it is first.
        Nobody (an empty recordset) when the company has no telephony manager."""
        self.ensure_one()
        managers = self.env["res.users"].search(
            [
                ("groups_id", "in", self.env.ref(MANAGER_GROUP).id),
                ("share", "=", False),
                ("company_ids", "in", self.id),
            ]
        )
        return managers.sorted(lambda user: (user.company_id != self, user.id))[:1]
