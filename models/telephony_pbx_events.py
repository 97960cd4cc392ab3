"""Applying what the PBX reports (ARI events, webhook events, its live state after a reconnection)
to the journal and the conferences."""

from datetime import timedelta

from odoo import fields, models

from ..pbx.calls import conversation_key
from ..pbx.conference import PEER_SUFFIX, PLAYER_CHANNEL_PREFIXES, WAITING_EVENT
from ..pbx.supervision import is_supervision_channel
from ..tools.ari_events import event_channel_id
from .telephony_conference_participant import LIVE_STATES

WEBHOOK_PREFIX = "webhook-"
OUTAGE_PREFIX = "outage-"
OUTAGE_STATES = {"ANSWER": "answered", "BUSY": "busy", "CONGESTION": "failed", "CHANUNAVAIL": "failed"}


class TelephonyPbx(models.Model):
    _inherit = "telephony.pbx"

    def _apply_ari_events(self, events):
        """Apply a batch of ARI events to the journal and the conferences, in the caller's transaction.

        Every effect is keyed by the PBX's channel id and only moves a record forward, so
        applying the same event twice changes nothing. Returns the conferences that changed.
        """
        self.ensure_one()
        pbx = self.sudo()
        channel_ids = list({channel_id for channel_id in map(event_channel_id, events) if channel_id})
        channel_ids += [channel_id.removesuffix(PEER_SUFFIX) for channel_id in channel_ids]
        calls = {
            call.pbx_unique_id: call
            for call in pbx.env["telephony.call"].search(
                [("pbx_id", "=", pbx.id), ("pbx_unique_id", "in", channel_ids)]
            )
        }
        # The leg that took over one end of a call by a transfer moves that call too.
        taken_over = {
            call.transfer_leg_id: call
            for call in pbx.env["telephony.call"].search(
                [("pbx_id", "=", pbx.id), ("transfer_leg_id", "in", channel_ids), ("end_date", "=", False)]
            )
        }
        participants = {
            participant.channel_id: participant
            for participant in pbx.env["telephony.conference.participant"].search(
                [("conference_id.pbx_id", "=", pbx.id), ("channel_id", "in", channel_ids)]
            )
        }
        changed = pbx.env["telephony.conference"]
        changed_calls = pbx.env["telephony.call"]
        for event in events:
            channel_id = event_channel_id(event)
            if not channel_id:
                continue
            if event["type"] == "StasisStart" and channel_id not in calls and channel_id not in participants:
                opened = pbx.env["telephony.call"]._ari_open_call(pbx, event)
                if opened:
                    calls[channel_id] = opened
                    # The call rings its user now: their widget shows it (and its caller card) at once.
                    changed_calls |= opened
            if event["type"] == WAITING_EVENT and channel_id not in participants:
                conference = pbx.env["telephony.conference"].browse(event["room_key"]).exists()
                if conference:
                    participants[channel_id] = pbx.env["telephony.conference.participant"]._ari_create_for_caller(
                        conference, event, "waiting"
                    )
                    changed |= conference
            player = (event.get("channel") or {}).get("name", "").startswith(PLAYER_CHANNEL_PREFIXES)
            # A manager barging into a room is no participant of it.
            player = player or is_supervision_channel(channel_id)
            if event["type"] == "ChannelEnteredBridge" and channel_id not in participants and not player:
                conference = pbx.env["telephony.conference"]._from_bridge_id(event["bridge"]["id"])
                if conference:
                    participants[channel_id] = pbx.env["telephony.conference.participant"]._ari_create_for_caller(
                        conference, event, "joined", calls.get(channel_id)
                    )
                    changed |= conference
            if channel_id in taken_over and taken_over[channel_id]._ari_apply(event, transfer_leg=True):
                changed_calls |= taken_over[channel_id]
            if channel_id in calls and calls[channel_id]._ari_apply(event):
                changed_calls |= calls[channel_id]
            elif channel_id.endswith(PEER_SUFFIX) and channel_id.removesuffix(PEER_SUFFIX) in calls:
                call = calls[channel_id.removesuffix(PEER_SUFFIX)]
                if call._ari_apply(event, peer=True):
                    changed_calls |= call
            participant = participants.get(channel_id)
            if participant and participant._ari_apply(event):
                changed |= participant.conference_id
        changed._notify_participants()
        changed_calls._notify_user()
        pbx.env["telephony.call.supervision"]._ari_apply_events(pbx, events).call_id._telephony_board_changed()
        return changed

    def _apply_webhook_event(self, event):
        """Record one checked webhook event (see tools/webhook.py) in the journal and pop it up for its user.

        Like an ARI channel, the PBX's call id keys the row and every event only moves the call forward, so a
        replayed or late event changes nothing; any event of a call not seen yet opens it. Returns the call,
        whether it changed, and warnings for the PBX about what it sent.
        """
        self.ensure_one()
        pbx = self.sudo().with_company(self.company_id)
        unique_id = WEBHOOK_PREFIX + event["call_id"]
        call = pbx.env["telephony.call"].search([("pbx_id", "=", pbx.id), ("pbx_unique_id", "=", unique_id)])
        warnings = []
        if call:
            changed = call._webhook_apply(event)
        else:
            values, warnings = pbx._webhook_call_values(event)
            call = pbx.env["telephony.call"].create({**values, "pbx_unique_id": unique_id})
            call._webhook_apply(event)
            changed = True
        if changed:
            call._notify_user()
        return call, changed, warnings

    def _webhook_call_values(self, event):
        """The journal values of a call first heard of through ``event``, and warnings about its extension."""
        caller, called = event["from"], event["to"]
        if event["direction"] == "inbound":
            values = self._resolve_destination(called, caller)
        else:
            values = {"direction": "outbound"}
            user = self._user_with_extension(caller)
            values.update(user_id=user.id, employee_id=user.employee_id.id)
        warnings = []
        if event["extension"]:
            user = self._user_with_extension(event["extension"])
            if user:
                values.update(user_id=user.id, employee_id=user.employee_id.id)
            else:
                warnings.append(f"Extension {event['extension']} belongs to no user of {self.company_id.name}.")
        return {
            **values,
            "pbx_id": self.id,
            "company_id": self.company_id.id,
            "caller_number": caller,
            "called_number": called,
            "start_date": event["timestamp"],
        }, warnings

    def _rebuild_live_state(self, channels, bridges, answered_at=None):
        """Bring the journal and the rooms in line with the calls the PBX has live right now.

        Used when the listener (re)connects. Whatever ended while nobody listened is closed at the
        listener's last heartbeat (``listener_seen_date``): the PBX keeps no trace of ended channels, so
        that is the last moment Odoo knew them alive; the error is at most the time nobody listened.
        ``answered_at`` maps the channels the router had answered (a room's receptionist answers at once)
        to when, for those whose answer event was lost. Whoever sits in a conference bridge is shown as
        joined and their call as answered. Returns who is still in a room or waiting for one, for the
        router to follow again.
        """
        self.ensure_one()
        pbx = self.sudo()
        now = fields.Datetime.now()
        last_seen = min(pbx.listener_seen_date or now, now)
        channels_by_id = {channel["id"]: channel for channel in channels}
        bridge_of_channel = {
            channel_id: bridge["id"] for bridge in bridges for channel_id in bridge.get("channels") or []
        }
        participants = pbx.env["telephony.conference.participant"].search(
            [("conference_id.pbx_id", "=", pbx.id), ("state", "in", LIVE_STATES)]
        )
        changed = participants.conference_id
        for participant in participants:
            if participant.channel_id not in channels_by_id:
                left = "left" if participant.state in ("waiting", "joined") else "failed"
                participant._move_to(left, max(last_seen, participant.join_date or participant.create_date))
            elif participant.channel_id in bridge_of_channel:
                participant._move_to("joined", now)
        known = set(participants.mapped("channel_id"))
        for channel_id, bridge_id in bridge_of_channel.items():
            conference = pbx.env["telephony.conference"]._from_bridge_id(bridge_id)
            channel = channels_by_id.get(channel_id)
            player = channel and channel.get("name", "").startswith(PLAYER_CHANNEL_PREFIXES)
            if (
                conference
                and channel_id not in known
                and channel
                and not player
                and not is_supervision_channel(channel_id)
            ):
                event = {"type": "ChannelEnteredBridge", "channel": channels_by_id[channel_id]}
                pbx.env["telephony.conference.participant"]._ari_create_for_caller(conference, event, "joined")
                changed |= conference
        open_calls = pbx.env["telephony.call"].search([("pbx_id", "=", pbx.id), ("end_date", "=", False)])
        pbx._reconcile_open_calls(open_calls, channels_by_id, bridge_of_channel, answered_at or {}, last_seen)
        supervisions = pbx.env["telephony.call.supervision"]._reconcile_live(pbx, channels_by_id, last_seen)
        supervisions.call_id._telephony_board_changed()
        changed._notify_participants()
        live = pbx.env["telephony.conference.participant"].search(
            [("conference_id.pbx_id", "=", pbx.id), ("state", "in", ("waiting", "joined"))]
        )
        return [
            (p.channel_id, p.conference_id._router_room(), p.number or "", p.state == "waiting", p.is_administrator)
            for p in live
        ]

    def _reconcile_open_calls(self, open_calls, channels_by_id, bridge_of_channel, answered_at, last_seen):
        """Answer the open calls whose answer was lost (bridged on the PBX, or answered by the router), and
        close those whose channel is gone at ``last_seen``, never before they began."""
        for call in open_calls:
            channel_id = call.pbx_unique_id
            if call.state == "ringing" and (channel_id in answered_at or channel_id in bridge_of_channel):
                answer = answered_at.get(channel_id) or last_seen
                call.write({"state": "answered", "answer_date": max(answer, call.start_date)})
            transferred_but_live = call.transferred_leg_id and self._has_live_leg(call, channels_by_id)
            if channel_id not in channels_by_id and not transferred_but_live:
                call._close(max(last_seen, call.answer_date or call.start_date))

    def _has_live_leg(self, call, channels_by_id):
        """Whether a call whose own channel a transfer took away still has a leg on the PBX (every leg placed
        for it is named after it, see pbx/calls.py)."""
        key = call.pbx_unique_id
        return call.transfer_leg_id in channels_by_id or any(
            conversation_key(channel_id) == key for channel_id in channels_by_id
        )

    def _journal_outage_calls(self, outage_calls):
        """Journal, once each (keyed ``outage-<channel id>``), the calls the PBX's dialplan sent to its fallback
        while no listener held the application, with the PBX's own times (see pbx/outage.py)."""
        self.ensure_one()
        pbx = self.sudo()
        keys = [OUTAGE_PREFIX + call.key for call in outage_calls]
        known = set(
            pbx.env["telephony.call"]
            .search([("pbx_id", "=", pbx.id), ("pbx_unique_id", "in", keys)])
            .mapped("pbx_unique_id")
        )
        values = []
        for call in outage_calls:
            if OUTAGE_PREFIX + call.key in known:
                continue
            answer = max(call.start, call.end - timedelta(seconds=call.talk_seconds)) if call.answered else False
            # The README's fallback dials the extension that was dialled: its user is who answered.
            answered_by = pbx._user_with_extension(call.dialled) if call.answered else pbx.env["res.users"]
            values.append(
                {
                    **pbx._resolve_destination(call.dialled, call.caller),
                    "pbx_id": pbx.id,
                    "pbx_unique_id": OUTAGE_PREFIX + call.key,
                    "company_id": pbx.company_id.id,
                    "caller_number": call.caller,
                    "called_number": call.dialled,
                    "start_date": call.start,
                    "answer_date": answer,
                    "answered_user_id": answered_by.id,
                    "end_date": call.end,
                    "state": OUTAGE_STATES.get(call.dial_status, "missed"),
                }
            )
        return pbx.env["telephony.call"].create(values)

    def _record_listener_heard(self):
        """The listener's heartbeat: it knew this PBX's live calls until now."""
        self.ensure_one()
        self.sudo().listener_seen_date = fields.Datetime.now()
