from odoo import api, fields, models
from odoo.exceptions import UserError

from ..tools.phone import format_international, to_e164_lenient


class TelephonyLinkNumber(models.TransientModel):
    """Tell Odoo an unknown number belongs to an existing contact: the number is stored on the
    contact, so its next calls match, and its past calls move to the contact's history."""

    _name = "telephony.link.number"
    _description = "Link a Number to a Contact"

    number = fields.Char(required=True, readonly=True)
    partner_id = fields.Many2one("res.partner", string="Contact", required=True)
    target_field = fields.Selection(
        [("phone", "Phone"), ("mobile", "Mobile")],
        string="Save As",
        required=True,
        compute="_compute_target_field",
        store=True,
        readonly=False,
    )
    partner_phone = fields.Char(related="partner_id.phone", string="Current Phone")
    partner_mobile = fields.Char(related="partner_id.mobile", string="Current Mobile")
    call_count = fields.Integer(string="Calls to Move", compute="_compute_call_count")

    @api.depends("partner_id")
    def _compute_target_field(self):
        for wizard in self:
            wizard.target_field = "mobile" if wizard.partner_id.phone and not wizard.partner_id.mobile else "phone"

    @api.depends("number")
    def _compute_call_count(self):
        calls = self.env["telephony.call"]
        for wizard in self:
            wizard.call_count = calls.search_count(
                [("partner_id", "=", False), ("contact_number_e164", "=", wizard._number_e164())]
            )

    def _number_e164(self):
        return to_e164_lenient(self.number, self.env.company.country_id.code)

    def action_link(self):
        """Write the number on the contact (re-attaching the calls from it) and open the contact's timeline."""
        self.ensure_one()
        e164 = self._number_e164()
        if not e164:
            raise UserError(self.env._("%(number)s is not a phone number.", number=self.number))
        self.partner_id.check_access("write")
        self.partner_id.write({self.target_field: format_international(e164)})
        return self.partner_id.action_telephony_timeline()
