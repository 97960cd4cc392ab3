from odoo import api, fields, models

from ..tools.phone import display_number


class TelephonyCall(models.Model):
    """The call's numbers as people read them. The PBX journals numbers as dialled (+33142685300,
    0142685300, (132)-553-7242, ...); lists and forms show them in the addon's one display format,
    while the raw numbers stay stored, searchable and exported as they came."""

    _inherit = "telephony.call"

    caller_number_display = fields.Char(string="Caller", compute="_compute_numbers_display")
    called_number_display = fields.Char(string="Called", compute="_compute_numbers_display")

    @api.depends("caller_number", "called_number", "company_id.country_id")
    def _compute_numbers_display(self):
        for call in self:
            country_code = call.company_id.country_id.code
            call.caller_number_display = display_number(call.caller_number, country_code)
            call.called_number_display = display_number(call.called_number, country_code)
