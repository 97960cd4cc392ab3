"""Missed calls nobody called back become "Call back" activities (a cron)."""

import logging
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools.misc import format_datetime

from ..tools.phone import format_international

_logger = logging.getLogger(__name__)


class TelephonyCall(models.Model):
    _inherit = "telephony.call"

    @api.model
    def _cron_schedule_callbacks(self, limit=500):
        """Missed calls not called back within the company's delay get a "Call back" activity, once each:
        on the caller's contact when known, else on the call itself, for the company's call-back team in
        turn, else the user the call rang, else a telephony manager of the company; always for someone
        who may open that record."""
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
            fallback = company._telephony_followup_fallback()
            for index, call in enumerate(due):
                turn = index % len(team) if team else 0
                candidates = team[turn:] + team[:turn] + call.user_id + fallback
                assignee = call._callback_assignee(candidates)
                if assignee:
                    call._schedule_callback(activity_type, assignee)
                else:
                    _logger.warning(
                        "Nobody may open the missed call %s of %s to call back: give the company a telephony "
                        "manager or a call-back team.",
                        call.display_name,
                        company.display_name,
                    )
            due.followup_scheduled = True

    def _callback_record(self):
        self.ensure_one()
        return self.partner_id or self

    def _callback_assignee(self, candidates):
        """The first of ``candidates`` who may open the record the activity goes on (in any of their
        companies): an activity on a record its assignee cannot read ends in an access error."""
        record = self._callback_record()
        for user in candidates:
            # Someone who no longer works for the call's company does not call its clients back.
            if not user.active or self.company_id not in user.company_ids:
                continue
            if record.with_user(user).with_context(allowed_company_ids=user.company_ids.ids).has_access("read"):
                return user
        return self.env["res.users"]

    def _schedule_callback(self, activity_type, user):
        self.ensure_one()
        number = format_international(self.contact_number_e164) or self.caller_number
        time_zone = user.tz or "UTC"
        env = self.with_context(lang=user.lang).env  # the cron writes in nobody's language: the assignee reads it
        self._callback_record().activity_schedule(
            activity_type_id=activity_type.id,
            summary=env._("Call back %(number)s", number=number),
            note=env._(
                "Missed call from %(number)s on %(date)s (%(time_zone)s).",
                number=number,
                date=format_datetime(self.env, self.start_date, tz=time_zone, lang_code=user.lang),
                time_zone=time_zone,
            ),
            user_id=user.id,
            telephony_call_id=self.id,
        )
