from odoo import api, fields, models


class TelephonyConferenceInvite(models.TransientModel):
    _name = "telephony.conference.invite"
    _description = "Invite to a Conference"

    conference_id = fields.Many2one("telephony.conference", required=True, ondelete="cascade")
    number = fields.Char(help="An internal extension or any phone number: the PBX calls it at once.")
    employee_id = fields.Many2one("hr.employee.public")
    partner_id = fields.Many2one("res.partner", string="Contact")

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        if "conference_id" in fields_list and not values.get("conference_id"):
            values["conference_id"] = self.env.context.get("active_id")
        return values

    def action_invite(self):
        """Call the person now and link them straight into the conference."""
        self.ensure_one()
        self.conference_id.action_invite(
            number=self.number or None,
            employee_id=self.employee_id.id or None,
            partner_id=self.partner_id.id or None,
        )
        return {"type": "ir.actions.act_window_close"}
