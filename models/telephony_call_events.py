"""How PBX events move the journal: ARI events from the listener and webhook events (see tools/webhook.py)."""

from odoo import api, models

from ..pbx.conference import REJECTED_EVENT, is_originated
from ..tools.ari_events import caller_number, dialled_number, event_datetime, hangup_cause
from .telephony_call_dial import DIAL_PREFIX
from .telephony_extension_mixin import EXTENSION_PATTERN


class TelephonyCall(models.Model):
    _inherit = "telephony.call"

    @api.model
    def _ari_open_call(self, pbx, event):
        """Journal a channel that entered the application and no row knows yet: a caller the dial plan
        sent in, or a call a user placed from Odoo whose row is gone (the PBX placed it after Odoo gave up
        waiting). A peer leg is part of its conversation's row, and an invited leg of its participant's:
        neither opens a row of its own."""
        kind = (event.get("args") or [""])[0]
        if not is_originated(event["channel"]["id"]):
            # Only the channels Odoo originated carry its own arguments (the router hangs up the others).
            return self._ari_open_inbound_call(pbx, event)
        if kind in ("peer", "invite"):
            return self.browse()
        if kind == "dial":
            return self._ari_open_placed_call(pbx, event)
        return self._ari_open_inbound_call(pbx, event)

    @api.model
    def _ari_open_placed_call(self, pbx, event):
        """Journal a call placed from Odoo (Stasis args ``["dial", number, extension]``) from its channel alone."""
        args = event["args"]
        number = str(args[1]) if len(args) > 1 else ""
        extension = str(args[2]) if len(args) > 2 else ""
        values = pbx._resolve_destination(number, extension)
        user = pbx._user_with_extension(extension)
        return self.create(
            {
                **values,
                "user_id": user.id,
                "employee_id": user.employee_id.id,
                "direction": "internal" if EXTENSION_PATTERN.fullmatch(number) else "outbound",
                "pbx_id": pbx.id,
                "pbx_unique_id": event["channel"]["id"],
                "company_id": pbx.company_id.id,
                "caller_number": extension,
                "called_number": number,
                "start_date": event_datetime(event),
            }
        )

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

        A call a user places (from Odoo, which first rings the user's own phone, or from their phone itself)
        is answered when the other side answers, not when the user's leg picks up. The peer leg (the phone the
        PBX rang for the call) names who answered. A caller sent away for wrong access codes was never answered.
        """
        self.ensure_one()
        kind = event.get("type")
        when = event_datetime(event)
        if kind == REJECTED_EVENT:
            if self.state == "rejected":
                return False
            self.write({"state": "rejected", "answer_date": False})
            return True
        # A user's own leg (their phone Odoo rang, or their phone or browser that called by itself) picking up
        # is not the call being answered: a room asking for its code, or the other side ringing, is not.
        own_leg_of_placed_call = not peer and (
            self.pbx_unique_id.startswith(DIAL_PREFIX) or self.direction in ("internal", "outbound")
        )
        picked_up = (kind == "ChannelStateChange" and event["channel"].get("state") == "Up") or (
            peer and kind == "StasisStart"
        )
        answered = kind == "ChannelEnteredBridge" or (picked_up and not own_leg_of_placed_call)
        changed = False
        if peer and picked_up and not self.answered_user_id:
            extension = _dialled_resource(event["channel"])
            answered_by = self.env["res.users"]._telephony_user_with_extension(extension, self.company_id)
            if answered_by:
                self.answered_user_id = answered_by
                changed = True
        if answered and not self.answer_date and self.state != "rejected":
            self.write({"state": "answered", "answer_date": when})
            return True
        if kind in ("StasisEnd", "ChannelDestroyed") and not self.end_date:
            cause = hangup_cause(event)
            # Asterisk destroys a dial string it cannot place (a missing context) with cause 0 while still Down.
            self._close(when, cause, placed=bool(cause) or event["channel"].get("state") != "Down")
            return True
        return changed

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


def _dialled_resource(channel):
    """The number a channel the PBX placed rang, from its name: ``PJSIP/202-00000003`` -> ``202``,
    ``Local/202@from-internal-0000001a;1`` -> ``202``."""
    resource = (channel.get("name") or "").partition("/")[2].rsplit("-", 1)[0]
    return resource.split("@", 1)[0]
