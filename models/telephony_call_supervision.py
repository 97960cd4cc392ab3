"""The audit of live supervision: who listened to, whispered into or barged into which call, and when.

One row per mode a supervisor was in on a call: switching from Listen to Whisper ends the Listen row and opens a
Whisper row. Rows are keyed by the supervisor's leg on the PBX (pbx/supervision.py): Odoo opens the first one when
it rings the supervisor's phone, and the listener applies, idempotently, the PBX's events of that leg (answered,
hung up) and the router's report of every mode it put in place, each with its own key. Nobody writes a row by hand;
the telephony managers of the call's company read them.
"""

from odoo import api, fields, models

from ..pbx.supervision import SNOOP_MARK, SUPERVISION_REPORT, is_supervision_channel
from ..tools.ari_events import event_channel_id, event_datetime

SUPERVISION_MODES = [("listen", "Listen"), ("whisper", "Whisper"), ("barge", "Barge")]
END_EVENTS = ("StasisEnd", "ChannelDestroyed")


class TelephonyCallSupervision(models.Model):
    _name = "telephony.call.supervision"
    _description = "Call Supervision"
    _order = "id desc"
    _check_company_auto = True

    call_id = fields.Many2one(
        "telephony.call",
        string="Phone Call",
        required=True,
        readonly=True,
        index=True,
        ondelete="cascade",
        check_company=True,
    )
    company_id = fields.Many2one(related="call_id.company_id", store=True, index=True)
    supervisor_id = fields.Many2one("res.users", required=True, readonly=True, index=True)
    mode = fields.Selection(SUPERVISION_MODES, required=True, readonly=True)
    state = fields.Selection(
        [("ringing", "Ringing"), ("active", "Active"), ("ended", "Ended")],
        required=True,
        readonly=True,
        default="ringing",
        help="Ringing: the supervisor's phone rings. Ended without a start: they did not answer.",
    )
    start_date = fields.Datetime(string="Started On", readonly=True)
    end_date = fields.Datetime(string="Ended On", readonly=True)
    channel_id = fields.Char(
        string="Supervisor's Leg", required=True, readonly=True, index=True, help="The PBX channel of their phone."
    )
    target_channel_id = fields.Char(string="Supervised Leg", required=True, readonly=True)
    target_is_user = fields.Boolean(
        readonly=True, help="The supervised leg is the phone of a user of Odoo: only then can they be whispered to."
    )
    report_key = fields.Char(readonly=True, help="The PBX router's key of the mode change that opened this row.")

    @api.model
    def _ari_apply_events(self, pbx, events):
        """Apply the events of supervisors' legs (and the router's mode reports) of a listener batch. Returns the
        rows that changed."""
        channel_ids = {
            channel_id
            for channel_id in map(event_channel_id, events)
            if is_supervision_channel(channel_id) and SNOOP_MARK not in channel_id
        }
        if not channel_ids:
            return self.browse()
        rows = self.search([("call_id.pbx_id", "=", pbx.id), ("channel_id", "in", list(channel_ids))], order="id")
        changed = self.browse()
        for event in events:
            leg = event_channel_id(event)
            leg_rows = rows.filtered(lambda row, leg=leg: row.channel_id == leg)
            if leg_rows:
                applied = leg_rows._ari_apply(event)
                rows |= applied
                changed |= applied
        return changed

    def _ari_apply(self, event):
        """Apply one event to the rows of one supervisor's leg; returns the rows it changed."""
        kind, when = event.get("type"), event_datetime(event)
        current = self.filtered(lambda row: row.state != "ended")[-1:]
        if not current:
            return self.browse()
        if kind == "StasisStart" and current.state == "ringing":
            current.write({"state": "active", "start_date": when})
            return current
        if kind in END_EVENTS:
            current.write({"state": "ended", "end_date": when})
            return current
        if kind == SUPERVISION_REPORT and event.get("state") == "refused":
            current._tell_refused()
            return self.browse()
        if kind == SUPERVISION_REPORT and event.get("mode") and event.get("key") not in self.mapped("report_key"):
            return current._switch_to(event["mode"], event.get("key"), when)
        return self.browse()

    def _switch_to(self, mode, key, when):
        """The router put the supervisor in ``mode``: on answer, the mode Odoo rang them for; later, a new row."""
        self.ensure_one()
        if mode == self.mode:
            self.write({"report_key": key, "state": "active", "start_date": self.start_date or when})
            return self
        self.write({"state": "ended", "end_date": when})
        return self | self.create(
            {
                "call_id": self.call_id.id,
                "supervisor_id": self.supervisor_id.id,
                "mode": mode,
                "state": "active",
                "start_date": when,
                "channel_id": self.channel_id,
                "target_channel_id": self.target_channel_id,
                "target_is_user": self.target_is_user,
                "report_key": key,
            }
        )

    def _tell_refused(self):
        """The call ended (or changed) while the supervisor's phone rang: say so rather than just hang up."""
        env = self.with_context(lang=self.supervisor_id.lang).env  # the notice is in their language
        self.supervisor_id._bus_send(
            "simple_notification",
            {
                "type": "warning",
                "title": env._("Supervision ended"),
                "message": env._("The call was no longer connected when you answered."),
                "sticky": False,
            },
        )

    @api.model
    def _reconcile_live(self, pbx, live_channel_ids, when):
        """After a reconnection: end, at ``when``, the supervisions whose leg the PBX no longer has."""
        gone = self.search(
            [
                ("call_id.pbx_id", "=", pbx.id),
                ("state", "!=", "ended"),
                ("channel_id", "not in", list(live_channel_ids)),
            ]
        )
        for row in gone:
            row.write({"state": "ended", "end_date": max(when, row.start_date or when)})
        return gone
