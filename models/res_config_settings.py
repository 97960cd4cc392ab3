from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    telephony_followup_hours = fields.Integer(related="company_id.telephony_followup_hours", readonly=False)
    telephony_followup_user_ids = fields.Many2many(related="company_id.telephony_followup_user_ids", readonly=False)
    telephony_log_calls_on_contact = fields.Boolean(related="company_id.telephony_log_calls_on_contact", readonly=False)
    telephony_recording_policy = fields.Selection(related="company_id.telephony_recording_policy", readonly=False)
    telephony_recording_announce = fields.Boolean(related="company_id.telephony_recording_announce", readonly=False)
    telephony_recording_retention_days = fields.Integer(
        related="company_id.telephony_recording_retention_days", readonly=False
    )
    telephony_conference_caller_number = fields.Char(
        related="company_id.telephony_conference_caller_number", readonly=False
    )
