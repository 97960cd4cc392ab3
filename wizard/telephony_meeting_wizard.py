from odoo import api, fields, models

from ..models.telephony_extension_mixin import EXTENSION_PATTERN
from ..tools.phone import to_e164


class TelephonyMeetingWizard(models.TransientModel):
    _name = "telephony.meeting.wizard"
    _description = "Start a Meeting with Employees"

    name = fields.Char(string="Subject")
    line_ids = fields.One2many("telephony.meeting.wizard.line", "wizard_id", string="Employees")

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        if "line_ids" in fields_list and self.env.context.get("active_model") == "hr.employee":
            employees = self.env["hr.employee.public"].browse(self.env.context.get("active_ids", []))
            values["line_ids"] = [
                fields.Command.create({"employee_id": employee.id}) for employee in employees.exists()
            ]
        return values

    def action_create(self):
        """Call every picked reachable employee at once; the caller name they see is "Conference"."""
        self.ensure_one()
        employees = self.line_ids.filtered(lambda line: line.selected and line.reachable).employee_id
        conference = self.env["telephony.conference"].action_start_meeting(employees.ids, self.name or None)
        return {"type": "ir.actions.client", "tag": "telephony_show_conference", "params": {"conference": conference}}


class TelephonyMeetingWizardLine(models.TransientModel):
    _name = "telephony.meeting.wizard.line"
    _description = "Employee Picked for a Meeting"

    wizard_id = fields.Many2one("telephony.meeting.wizard", required=True, ondelete="cascade")
    employee_id = fields.Many2one("hr.employee.public", required=True, ondelete="cascade")
    number = fields.Char(compute="_compute_number", string="Number to Call")
    reachable = fields.Boolean(compute="_compute_number")
    selected = fields.Boolean(string="Invite", compute="_compute_selected", store=True, readonly=False, precompute=True)

    @api.depends("reachable")
    def _compute_selected(self):
        for line in self:
            line.selected = line.reachable

    @api.depends("employee_id")
    def _compute_number(self):
        country_code = self.env.company.country_id.code
        for line in self:
            line.number = line.employee_id._telephony_number()
            line.reachable = bool(
                line.number and (EXTENSION_PATTERN.fullmatch(line.number) or to_e164(line.number, country_code))
            )
