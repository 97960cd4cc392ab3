from odoo import api, fields, models

from ..tools.phone import to_e164_lenient


class HrEmployee(models.Model):
    _inherit = "hr.employee"

    telephony_extension = fields.Char(related="user_id.telephony_extension", string="Internal Extension")
    work_phone_e164 = fields.Char(
        string="Work Phone (E.164)", compute="_compute_numbers_e164", store=True, index="btree_not_null"
    )
    mobile_phone_e164 = fields.Char(
        string="Work Mobile (E.164)", compute="_compute_numbers_e164", store=True, index="btree_not_null"
    )

    @api.depends("work_phone", "mobile_phone", "company_id.country_id")
    def _compute_numbers_e164(self):
        for employee in self:
            region = employee.company_id.country_id.code
            employee.work_phone_e164 = to_e164_lenient(employee.work_phone, region)
            employee.mobile_phone_e164 = to_e164_lenient(employee.mobile_phone, region)

    @api.model
    def _telephony_match(self, e164, company):
        """The colleagues whose work phone or work mobile is ``e164`` (a colleague calling from outside)."""
        if not e164:
            return self.browse()
        return self.search(
            [
                "|",
                ("work_phone_e164", "=", e164),
                ("mobile_phone_e164", "=", e164),
                ("company_id", "in", [False, company.id]),
            ]
        )


class HrEmployeePublic(models.Model):
    _inherit = "hr.employee.public"

    telephony_extension = fields.Char(related="user_id.telephony_extension", string="Internal Extension")

    def _telephony_number(self):
        """What the PBX dials to reach this employee: their extension, else their work or mobile phone."""
        self.ensure_one()
        return self.telephony_extension or self.work_phone or self.mobile_phone or ""
