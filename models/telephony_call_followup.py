"""Missed calls nobody called back become "Call back" activities (a cron)."""

from datetime import timedelta

from odoo import api, fields, models

from ..tools.phone import format_international


class TelephonyCall(models.Model):
    _inherit = "telephony.call"

    @api.model
    def _cron_schedule_callbacks(self, limit=500):
        """Missed calls not called back within the company's delay get a "Call back" activity, once each:
        for the user the call rang (or the company's call-back team, in turn), on the caller's contact when
        known, else on the call itself."""
        activity_type = self.env.ref("telephony.mail_activity_type_call_back")
        now = fields.Datetime.now()
        for company in self.env["res.company"].search([]):
            due = self.search(
                [
                    ("company_id", "=", company.id),
                    ("followup_scheduled", "=", False),
                    ("start_date", "<=", now - timedelta(hours=company.telephony_followup_hours)),
                    ("callback_pending", "=", True),
                ],
                limit=limit,
                order="start_date, id",
            )
            team = company.telephony_followup_user_ids
            for index, call in enumerate(due):
                assignee = team[index % len(team)] if team else call.user_id or company._telephony_followup_fallback()
                call._schedule_callback(activity_type, assignee)
            due.followup_scheduled = True

    def _schedule_callback(self, activity_type, user):
        self.ensure_one()
        record = self.partner_id or self
        number = format_international(self.contact_number_e164) or self.caller_number
        record.activity_schedule(
            activity_type_id=activity_type.id,
            summary=self.env._("Call back %(number)s", number=number),
            note=self.env._(
                "Missed call from %(number)s on %(date)s (UTC).",
                number=number,
                date=fields.Datetime.to_string(self.start_date),
            ),
            user_id=user.id,
        )
