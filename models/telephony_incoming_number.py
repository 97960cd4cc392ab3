from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from odoo.addons.phone_validation.tools.phone_validation import phone_parse

from ..tools.phone import format_e164, format_international
from .telephony_recording import RECORDING_POLICIES

NATIONAL_PREFIXES = ("+", "00")


class TelephonyIncomingNumber(models.Model):
    _name = "telephony.incoming.number"
    _description = "Incoming Number"
    _order = "number"
    _rec_names_search = ["number", "label"]
    _check_company_auto = True

    number = fields.Char(
        required=True,
        index=True,
        help="External phone number callers dial. National input uses the company's country; stored as E.164.",
    )
    number_international = fields.Char(string="International Format", compute="_compute_number_international")
    label = fields.Char()
    destination_type = fields.Selection(
        [("conference", "Conference"), ("user", "User")],
        required=True,
        default="conference",
    )
    conference_id = fields.Many2one(
        "telephony.conference",
        check_company=True,
        domain=[("kind", "=", "room")],
        ondelete="restrict",
    )
    user_id = fields.Many2one("res.users", domain=[("share", "=", False)], ondelete="restrict", check_company=True)
    recording_policy = fields.Selection(
        RECORDING_POLICIES,
        string="Record Calls",
        help="Empty: the setting of the user the call is for, else the company's. Applies to calls forwarded to a "
        "user; a room has its own setting.",
    )
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company, index=True)

    _sql_constraints = [
        (
            "number_company_uniq",
            "UNIQUE(company_id, number)",
            "An incoming number can only be defined once per company.",
        ),
    ]

    @api.depends("number")
    def _compute_number_international(self):
        for incoming in self:
            incoming.number_international = format_international(incoming.number)

    @api.depends("number_international", "label")
    def _compute_display_name(self):
        for incoming in self:
            number = incoming.number_international or incoming.number or ""
            incoming.display_name = f"{incoming.label} ({number})" if incoming.label else number

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("number"):
                company = self.env["res.company"].browse(vals.get("company_id")) or self.env.company
                vals["number"] = self._normalize_number(vals["number"], company)
                self._check_number_available(vals["number"], company)
        return super().create(vals_list)

    def write(self, vals):
        if not vals.get("number"):
            return super().write(vals)
        for incoming in self:
            company = self.env["res.company"].browse(vals.get("company_id")) or incoming.company_id
            number = self._normalize_number(vals["number"], company)
            incoming._check_number_available(number, company)
            super(TelephonyIncomingNumber, incoming).write(dict(vals, number=number))
        return True

    @api.model
    def _normalize_number(self, number, company):
        """Return ``number`` in E.164, reading national input in the company's country."""
        number = number.strip()
        country_code = company.country_id.code
        if not country_code and not number.startswith(NATIONAL_PREFIXES):
            raise ValidationError(
                self.env._(
                    "The incoming number %(number)s is in national format, but the company %(company)s has no "
                    "country: type it with its country code (+33 1 84 88 00 00) or set the company's country.",
                    number=number,
                    company=company.display_name,
                )
            )
        try:
            parsed = phone_parse(number, country_code)
        except UserError as error:
            raise ValidationError(
                self.env._("The incoming number %(number)s is refused: %(reason)s", number=number, reason=error.args[0])
            ) from error
        return format_e164(parsed)

    def _check_number_available(self, number, company):
        """Refuse ``number`` when another incoming number of ``company`` has it, naming that one."""
        duplicate = (
            self.with_context(active_test=False)
            .sudo()
            .search([("number", "=", number), ("company_id", "=", company.id), ("id", "not in", self.ids)], limit=1)
        )
        if duplicate:
            raise ValidationError(
                self.env._(
                    "The incoming number %(number)s already exists in %(company)s: %(other)s.",
                    number=format_international(number),
                    company=company.display_name,
                    other=duplicate.display_name,
                )
            )

    @api.constrains("destination_type", "conference_id", "user_id")
    def _check_destination(self):
        for incoming in self:
            if incoming.destination_type == "conference" and not incoming.conference_id:
                raise ValidationError(
                    self.env._(
                        "The incoming number %(number)s sends callers to a conference: pick the room.",
                        number=incoming.number_international,
                    )
                )
            if incoming.destination_type == "user":
                if not incoming.user_id:
                    raise ValidationError(
                        self.env._(
                            "The incoming number %(number)s rings a user: pick the user.",
                            number=incoming.number_international,
                        )
                    )
                if not incoming.user_id.telephony_extension:
                    raise ValidationError(
                        self.env._(
                            "The incoming number %(number)s cannot ring %(user)s, who has no extension: give them "
                            "one in their telephony settings first.",
                            number=incoming.number_international,
                            user=incoming.user_id.display_name,
                        )
                    )
