"""How PBX events move the journal: ARI events from the listener and webhook events (see tools/webhook.py)."""

from odoo import api, models

from ..tools.ari_events import caller_number, dialled_number, event_datetime, hangup_cause
from .telephony_call_dial import DIAL_PREFIX


class TelephonyCall(models.Model):
    _inherit = "telephony.call"

    @api.model
    def _ari_open_inbound_call(self, pbx, event):
        """Journal a call the PBX sent into the application; the PBX's channel id keys the row."""
        called = dialled_number(event)
        caller = caller_number(event)
        destination = pbx._resolve_destination(called, caller)
        return self.create(
            {
                "pbx_id": pbx.id,
                "pbx_unique_id": event["channel"]["id"],
                "company_id": pbx.company_id.id,
                "caller_number": caller,
                "called_number": called,
                "start_date": event_datetime(event),
                **destination,
            }
        )

    def _ari_apply(self, event, peer=False):
        """Apply one ARI event about this call's channel (or the peer the PBX rang for it).

        A call a user places from Odoo first rings the user's own phone: it is answered when the
        other side answers, not when the user picks up.
        """
        self.ensure_one()
        kind = event.get("type")
        when = event_datetime(event)
        own_leg_of_placed_call = not peer and self.pbx_unique_id.startswith(DIAL_PREFIX)
        picked_up = kind == "ChannelStateChange" and event["channel"].get("state") == "Up"
        if (kind == "ChannelEnteredBridge" or (picked_up and not own_leg_of_placed_call)) and not self.answer_date:
            self.write({"state": "answered", "answer_date": when})
            return True
        if kind in ("StasisEnd", "ChannelDestroyed") and not self.end_date:
            self._close(when, hangup_cause(event))
            return True
        return False

    def _webhook_apply(self, event):
        """Apply one webhook event (see tools/webhook.py); events arrive in any order, and only move the call
        forward. Returns whether the call changed."""
        self.ensure_one()
        when = event["timestamp"]
        if event["event"] == "ringing":
            if when >= self.start_date:
                return False
            self.start_date = when  # a late ringing event still tells when the call began
            return True
        if event["event"] == "answered":
            if self.answer_date or (self.end_date and when > self.end_date):
                return False
            self.write({"state": "answered", "answer_date": when, "start_date": min(when, self.start_date)})
            return True
        if self.end_date:
            return False
        self._close(max(when, self.answer_date or self.start_date), event["cause"])
        return True
