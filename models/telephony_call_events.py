"""How PBX events move the journal: ARI events from the listener and webhook events (see tools/webhook.py)."""

from odoo import api, models

from ..pbx.calls import CONSULT_LEG
from ..pbx.conference import REJECTED_EVENT, from_own_phone, is_originated
from ..pbx.supervision import SUPERVISION_KINDS
from ..pbx.transfer import HELD_REPORT, TRANSFER_REPORT
from ..tools.ari_events import caller_number, dialled_number, event_datetime, hangup_cause
from .telephony_call_dial import DIAL_PREFIX
from .telephony_extension_mixin import EXTENSION_PATTERN

HOLD_EVENTS = {"ChannelHold": True, "ChannelUnhold": False}  # a phone's own hold key


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
        if kind in ("peer", "invite", "transfer", "consult", *SUPERVISION_KINDS):
            # A transfer's target takes over its conversation's row; a consultation's row exists before its
            # channel does (Odoo creates it when the user consults). A supervisor's phone and its snoop are
            # nobody's call: their audit rows follow them (telephony.call.supervision).
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
        destination = pbx._resolve_destination(called, caller, caller_is_phone=from_own_phone(event["channel"]))
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

    def _ari_apply(self, event, peer=False, transfer_leg=False):
        """Apply one ARI event about this call's channel (or the peer the PBX rang for it, or the leg that
        took over one end of it by a transfer).

        A call a user places (from Odoo, which first rings the user's own phone, or from their phone itself)
        is answered when the other side answers, not when the user's leg picks up. The peer leg (the phone the
        PBX rang for the call) names who answered, and so does a consulted target's. A caller sent away for
        wrong access codes was never answered. The leg a transfer took away ends nothing; the leg rung for a
        transfer ends the call only once it took it over (until then the router rings the user back or hangs up).
        """
        self.ensure_one()
        kind = event.get("type")
        when = event_datetime(event)
        if kind == REJECTED_EVENT:
            if self.state == "rejected":
                return False
            self.write({"state": "rejected", "answer_date": False})
            return True
        if kind == HELD_REPORT or kind in HOLD_EVENTS:
            on_hold = event.get("held") if kind == HELD_REPORT else HOLD_EVENTS[kind]
            if self.on_hold == bool(on_hold) or self.end_date:
                return False
            self.on_hold = bool(on_hold)
            return True
        if kind == TRANSFER_REPORT:
            return self._ari_apply_transfer(event, when)
        channel_id = (event.get("channel") or {}).get("id")
        if kind in ("StasisEnd", "ChannelDestroyed") and channel_id == self.transferred_leg_id:
            return False
        if transfer_leg:
            if kind in ("StasisEnd", "ChannelDestroyed") and self.transfer_state in ("answered", "returned"):
                return self._ari_apply(event, peer=True)
            return False
        consulted = not peer and CONSULT_LEG in self.pbx_unique_id
        # A user's own leg (their phone Odoo rang, or their phone or browser that called by itself) picking up
        # is not the call being answered: a room asking for its code, or the other side ringing, is not. A
        # consultation's own channel is the consulted target's.
        own_leg_of_placed_call = (
            not peer
            and not consulted
            and (self.pbx_unique_id.startswith(DIAL_PREFIX) or self.direction in ("internal", "outbound"))
        )
        picked_up = (kind == "ChannelStateChange" and event["channel"].get("state") == "Up") or (
            peer and kind == "StasisStart"
        )
        answered = kind == "ChannelEnteredBridge" or (picked_up and not own_leg_of_placed_call)
        changed = False
        if (peer or consulted) and picked_up and not self.answered_user_id:
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

    def _ari_apply_transfer(self, event, when):
        """Apply what the router reports of a hold-and-transfer on this call (see pbx/transfer.py)."""
        state = event.get("state")
        pbx = self.pbx_id
        by = pbx._user_with_extension(event.get("extension") or "")
        number = event.get("number") or ""
        # A router that restarted during a consultation no longer knows its target: keep what the row says.
        target = {"transfer_number": number, "transfer_user_id": pbx._user_with_extension(number).id} if number else {}
        consultation = self.search([("pbx_id", "=", pbx.id), ("pbx_unique_id", "=", event.get("consult") or "")])
        if state in ("refused", "cancelled") and consultation and not consultation.end_date:
            # Its leg may never have been placed: the consultation ends with the attempt.
            consultation._close(when, event.get("cause") or 0, placed=state != "refused")
            consultation._notify_user()
        if state == "refused":
            self._tell_transfer_refused(by)
            return False
        if state == "consulting":
            values = {
                **target,
                "transfer_state": "consulting",
                "transferred_by_id": by.id,
                "consult_call_id": consultation.id,
                # Until the transfer completes or is cancelled, the router, not the user's hanging up, ends it.
                "transferred_leg_id": event.get("left"),
                "transfer_leg_id": False,
            }
        elif state == "ringing":
            values = {
                **target,
                "transfer_state": "ringing",
                "transferred_by_id": by.id,
                "transferred_leg_id": event.get("left"),
                "transfer_leg_id": event.get("leg"),
            }
        elif state == "answered":
            values = {**target, "transfer_state": "answered", "transfer_leg_id": event.get("leg") or False}
            if event.get("left"):
                values.update(transferred_leg_id=event["left"], transferred_by_id=by.id or self.transferred_by_id.id)
            if self.consult_call_id and not self.consult_call_id.end_date:
                # The user left the consultation by completing the transfer: it ends for them.
                self.consult_call_id._close(when)
                self.consult_call_id._notify_user()
        elif state == "failed":
            values = {"transfer_state": "failed", "transfer_leg_id": event.get("leg") or False}
            self._tell_transfer_failed(event.get("cause") or 0, bool(event.get("leg")))
        elif state == "returned":
            values = {"transfer_state": "returned", "transfer_leg_id": event.get("leg")}
        elif state == "cancelled":
            values = {
                "transfer_state": False,
                "transfer_number": False,
                "transfer_user_id": False,
                "transferred_leg_id": False,
            }
        else:
            return False
        self.write(values)
        return True

    def _tell_transfer_failed(self, cause, rung_back):
        """Who transferred the call learns why it did not go through, and that their phone rings to take it
        back (or that the caller was hung up: nobody could take the call)."""
        if not self.transferred_by_id:
            return
        env = self.with_context(lang=self.transferred_by_id.lang).env  # the notice is in their language
        outcome = {
            "busy": env._("%(target)s is busy.", target=self.transfer_number),
            "failed": env._("%(target)s could not be called.", target=self.transfer_number),
        }.get(
            self._unanswered_state(cause),
            env._("%(target)s did not answer.", target=self.transfer_number),
        )
        then = (
            env._("Your phone rings to take the call back.")
            if rung_back
            else env._("Nobody took the call back: it was hung up.")
        )
        self.transferred_by_id._bus_send(
            "simple_notification",
            {
                "type": "warning",
                "title": env._("Transfer failed"),
                "message": f"{outcome} {then}",
                "sticky": False,
            },
        )

    def _tell_transfer_refused(self, user):
        """The PBX had already moved on (the call ended or changed meanwhile): say so rather than nothing."""
        if user:
            env = self.with_context(lang=user.lang).env  # the notice is in their language
            user._bus_send(
                "simple_notification",
                {
                    "type": "warning",
                    "title": env._("Transfer failed"),
                    "message": env._("The call is no longer connected the way the transfer needs: try again."),
                    "sticky": False,
                },
            )

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
