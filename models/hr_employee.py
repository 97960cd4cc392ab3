from odoo import fields, models


class HrEmployee(models.Model):
    _inherit = "hr.employee"

    telephony_extension = fields.Char(related="user_id.telephony_extension", string="Internal Extension")


class HrEmployeePublic(models.Model):
    _inherit = "hr.employee.public"

    telephony_extension = fields.Char(related="user_id.telephony_extension", string="Internal Extension")
