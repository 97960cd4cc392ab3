from odoo import fields, models


class HrEmployee(models.Model):
    _inherit = "hr.employee"

    telephony_extension = fields.Char(related="user_id.telephony_extension", string="Internal Extension")


class HrEmployeePublic(models.Model):
    _inherit = "hr.employee.public"

    telephony_extension = fields.Char(related="user_id.telephony_extension", string="Internal Extension")

    def _telephony_number(self):
        """What the PBX dials to reach this employee: their extension, else their work or mobile phone."""
        self.ensure_one()
        return self.telephony_extension or self.work_phone or self.mobile_phone or ""
