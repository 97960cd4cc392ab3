"""Hold and transfer of two-party calls: the part of the call router that Odoo drives through user events.

Odoo workers never talk to the router: they send ARI user events to the application, which the router
receives like the PBX's own events (see ``DTMF_EVENT``). Every field of a user event is a string:

- ``TelephonyHold`` ``{"channel": <the user's leg>, "call": <conversation key>, "hold": "1" | "0"}``;
- ``TelephonyTransfer`` ``{"channel", "call", "mode", "target", "extension", "consult"}``, ``mode`` being
  ``blind``, ``attended`` (consult ``target`` first, on the new leg ``consult``), ``complete`` or ``cancel``;
  ``extension`` is the transferring user's, rung back when a blind transfer's target does not answer.

Asterisk puts *the channel it is asked to* on hold (``POST /channels/{id}/hold`` indicates HOLD to that channel:
chan_pjsip plays it music on hold, or passes the hold on to its phone with ``moh_passthrough``), and reports no
event for it: ``ChannelHold`` is what a phone's own hold key raises. So "the user puts the other party on hold"
holds the *other party's* leg, and mutes what it says, since the user would still hear it through the bridge. The
router reports what it did as events of its own, on the conversation's key: ``TelephonyCallHeld`` (``held``) and
``TelephonyCallTransfer`` (``state``: ``consulting``, ``ringing``, ``answered``, ``failed``, ``returned``,
``cancelled`` or ``refused``, with the legs that ``left`` and took over as ``leg``).

A blind transfer hangs up the user's leg at once: the other party waits on hold (music) while the target rings;
if the target is busy, does not answer or cannot be called, the transferring user's phone rings to take the
call back, and if nobody answers that either, the other party is hung up rather than left on hold. An attended
transfer holds the other party and takes the user's leg out of their bridge, where it hears a ring tone
(``POST /channels/{id}/ring``) while the target rings, then bridges the user with the target in a bridge of
their own; "complete" moves the target into the held party's bridge and hangs up the user, "cancel" (or the
target hanging up or failing) brings the user back. A user who hangs up while consulting completes the
transfer (a target that has not answered yet then rings for the held party, as in a blind transfer).
"""

import logging
import uuid
from dataclasses import dataclass

from .ari import PbxError
from .calls import CONSULT_LEG, TRANSFER_LEG, Caller, Forward, Room, call_bridge_id, conversation_key

_logger = logging.getLogger(__name__)

HOLD_EVENT = "TelephonyHold"
TRANSFER_EVENT = "TelephonyTransfer"
HELD_REPORT = "TelephonyCallHeld"
TRANSFER_REPORT = "TelephonyCallTransfer"


@dataclass
class Consult:
    """A user talking to (or ringing) the target of an attended transfer while the other party is held."""

    user_id: str  # the user's leg
    held_id: str  # the other party, on hold in the conversation's bridge
    leg_id: str  # the consulted target
    call_key: str
    number: str
    extension: str
    answered: bool = False


class TransferMixin:
    """Hold, resume and transfer, for :class:`~pbx.conference.CallRouter`."""

    def _hold_from_odoo(self, fields):
        pair = self._connected_pair(fields.get("channel", ""))
        if pair is None or pair[0].channel_id in self.consults:
            _logger.info("Channel %s is not in a two-party call it could hold", fields.get("channel"))
            return
        if fields.get("hold") == "1":
            self._hold(pair[1])
        else:
            self._unhold(pair[1])

    def _connected_pair(self, channel_id):
        """The user's leg and the other party it talks to, both in their call's bridge; None otherwise."""
        user = self.callers.get(channel_id)
        other = self.callers.get(user.peer_id) if user else None
        if other is None or user.room or user.state != "bridged" or other.state != "bridged":
            return None
        return user, other

    def _hold(self, caller):
        if caller.held:
            return
        self.client.hold(caller.channel_id)
        self.client.mute(caller.channel_id, "in")
        caller.held = True
        self._report_held(caller, True)

    def _unhold(self, caller):
        if not caller.held:
            return
        self.client.unmute(caller.channel_id, "in")
        self.client.unhold(caller.channel_id)
        caller.held = False
        self._report_held(caller, False)

    def _report_held(self, caller, held):
        self.report({"type": HELD_REPORT, "channel": {"id": caller.call_key}, "held": held})

    def _report_transfer(self, call_key, state, **fields):
        self.report({"type": TRANSFER_REPORT, "channel": {"id": call_key}, "state": state, **fields})

    # ------------------------------------------------------------------
    # Starting a transfer
    # ------------------------------------------------------------------

    def _transfer_from_odoo(self, fields):
        mode, user_leg = fields.get("mode"), fields.get("channel", "")
        consult = self.consults.get(user_leg)
        if mode == "complete":
            self._complete_consult(consult, fields)
        elif mode == "cancel":
            self._cancel_consult(consult, fields)
        elif mode in ("blind", "attended"):
            self._start_transfer(mode, user_leg, fields)

    def _refuse(self, fields, reason):
        _logger.info("Transfer of %s refused: %s", fields.get("channel"), reason)
        self._report_transfer(
            fields.get("call", ""),
            "refused",
            reason=reason,
            extension=fields.get("extension", ""),
            consult=fields.get("consult", "") if fields.get("mode") == "attended" else "",
        )

    def _start_transfer(self, mode, user_leg, fields):
        pair = self._connected_pair(user_leg)
        if pair is None or user_leg in self.consults:
            self._refuse(fields, "not connected")
            return
        user, other = pair
        target = fields.get("target", "")
        if mode == "attended":
            destination = self.route(target, fields.get("extension", ""), True)
        else:
            destination = self.route(target, other.number, True)
        if isinstance(destination, Room) and mode == "blind":
            self._transfer_to_room(user, other, destination, fields)
        elif not isinstance(destination, Forward):
            self._refuse(fields, "no destination")
        elif mode == "blind":
            self._blind_transfer(user, other, destination, fields)
        else:
            self._start_consult(user, other, destination, fields)

    def _caller_id_of(self, caller):
        if not caller.number:
            return None
        name = caller.name.replace('"', "").strip()
        return f'"{name}" <{caller.number}>' if name else f"<{caller.number}>"

    def _blind_transfer(self, user, other, destination, fields):
        leg = self._ring_for(other, destination, fields.get("target", ""), recall=fields.get("extension", ""))
        if leg is None:
            self._refuse(fields, "target unreachable")
            return
        self._report_transfer(
            other.call_key,
            "ringing",
            left=user.channel_id,
            leg=leg.channel_id,
            number=leg.number,
            extension=fields.get("extension", ""),
        )
        self._let_go(user)

    def _ring_for(self, other, destination, number, recall="", returning=False):
        """Ring ``destination`` to take over ``other``'s call, who waits on hold meanwhile; the new leg, or None
        (and ``other`` off hold) when the PBX refuses to place it."""
        leg_id = f"{other.call_key}{TRANSFER_LEG}{uuid.uuid4().hex[:12]}"
        leg = Caller(
            leg_id,
            number=number,
            state="ringing",
            peer_id=other.channel_id,
            call_key=other.call_key,
            role="transfer",
            recall=recall,
            returning=returning,
        )
        self._hold(other)
        self.callers[leg_id] = leg
        previous_peer, other.peer_id = other.peer_id, leg_id
        try:
            self.client.originate(
                destination.endpoint,
                app_args=["transfer", other.channel_id],
                caller_id=self._caller_id_of(other) or destination.caller_id or None,
                timeout=self.ring_seconds,
                channel_id=leg_id,
            )
        except PbxError as error:
            _logger.warning("Could not ring %s for channel %s: %s", destination.endpoint, other.channel_id, error)
            self.callers.pop(leg_id, None)
            other.peer_id = previous_peer
            self._unhold(other)
            return None
        return leg

    def _let_go(self, caller):
        """Hang up a leg that leaves its call: the router no longer follows it, so its end ends nothing else."""
        self.callers.pop(caller.channel_id, None)
        self.client.hangup_if_present(caller.channel_id)

    def _transfer_to_room(self, user, other, room, fields):
        """The other party dials the room as if they had called it: its receptionist asks for the access code."""
        self._let_go(user)
        self.client.destroy_bridge_if_present(other.bridge_id)
        other.peer_id = other.bridge_id = ""
        other.room = room
        other.is_administrator = other.number in room.administrator_numbers
        self._report_transfer(
            other.call_key,
            "answered",
            left=user.channel_id,
            leg="",
            number=fields.get("target", ""),
            extension=fields.get("extension", ""),
        )
        self._receive(other)

    # ------------------------------------------------------------------
    # A transfer leg answers or fails
    # ------------------------------------------------------------------

    def _connect_transfer(self, leg):
        other = self.callers.get(leg.peer_id)
        if other is None or other.peer_id != leg.channel_id:
            self._let_go(leg)
            return
        self._unhold(other)
        self.client.add_channel(other.bridge_id, leg.channel_id)
        leg.state = other.state = "bridged"
        leg.bridge_id = other.bridge_id
        self._report_transfer(
            leg.call_key, "returned" if leg.returning else "answered", leg=leg.channel_id, number=leg.number
        )

    def _transfer_leg_failed(self, leg, cause):
        """The target of a blind transfer did not take the call: ring the transferring user back, once."""
        other = self.callers.get(leg.peer_id)
        if other is None or other.peer_id != leg.channel_id:
            return
        back = self.route(leg.recall, other.number, True) if leg.recall else None
        recalled = None
        if isinstance(back, Forward):
            recalled = self._ring_for(other, back, leg.recall, returning=True)
        self._report_transfer(
            leg.call_key,
            "failed",
            leg=recalled.channel_id if recalled else "",
            number=leg.number,
            cause=cause,
            extension=leg.recall,
        )
        if recalled is None:
            # Nobody left to take the call: the other party is not left on hold forever.
            self.callers.pop(other.channel_id, None)
            self.client.hangup_if_present(other.channel_id)
            self.client.destroy_bridge_if_present(other.bridge_id)

    # ------------------------------------------------------------------
    # Attended transfers
    # ------------------------------------------------------------------

    def _start_consult(self, user, other, destination, fields):
        leg_id = fields.get("consult", "")
        if not leg_id.startswith(f"{other.call_key}{CONSULT_LEG}") or leg_id in self.callers:
            self._refuse(fields, "bad consultation id")
            return
        consult = Consult(
            user.channel_id,
            other.channel_id,
            leg_id,
            other.call_key,
            fields.get("target", ""),
            fields.get("extension", ""),
        )
        self._hold(other)
        self.client.remove_channel(user.bridge_id, user.channel_id)
        self.client.ring(user.channel_id)
        user.state = "consulting"
        self.consults[user.channel_id] = consult
        self.callers[leg_id] = Caller(
            leg_id, number=consult.number, state="ringing", peer_id=user.channel_id, call_key=leg_id, role="consult"
        )
        self._report_transfer(
            other.call_key,
            "consulting",
            left=user.channel_id,
            consult=leg_id,
            number=consult.number,
            extension=consult.extension,
        )
        try:
            self.client.originate(
                destination.endpoint,
                app_args=["consult", user.channel_id],
                caller_id=destination.caller_id or None,
                timeout=self.ring_seconds,
                channel_id=leg_id,
            )
        except PbxError as error:
            _logger.warning("Could not ring %s to consult: %s", destination.endpoint, error)
            self.callers.pop(leg_id, None)
            self._back_to_held(consult, cause=0)

    def _connect_consult(self, leg):
        consult = self.consults.get(leg.peer_id)
        user = self.callers.get(leg.peer_id)
        if consult is None or user is None:
            self._let_go(leg)
            return
        bridge_id = call_bridge_id(leg.channel_id)
        self.client.ring_stop(user.channel_id)
        self.client.create_bridge(bridge_id)
        self.client.add_channel(bridge_id, user.channel_id)
        self.client.add_channel(bridge_id, leg.channel_id)
        leg.state = "bridged"
        leg.bridge_id = bridge_id
        consult.answered = True

    def _complete_consult(self, consult, fields):
        if consult is None or not consult.answered or consult.held_id not in self.callers:
            self._refuse(fields, "nothing to complete")
            return
        self._hand_over(consult)

    def _hand_over(self, consult):
        """The held party and the consulted target talk together; the user's leg leaves."""
        self.consults.pop(consult.user_id, None)
        other, leg = self.callers[consult.held_id], self.callers[consult.leg_id]
        self._unhold(other)
        self.client.add_channel(other.bridge_id, leg.channel_id)
        self.client.destroy_bridge_if_present(leg.bridge_id)
        leg.peer_id, other.peer_id = other.channel_id, leg.channel_id
        leg.bridge_id, leg.call_key, leg.role, other.state = other.bridge_id, other.call_key, "transfer", "bridged"
        self._report_transfer(
            other.call_key,
            "answered",
            left=consult.user_id,
            leg=leg.channel_id,
            number=consult.number,
            consult=leg.channel_id,
            extension=consult.extension,
        )
        user = self.callers.get(consult.user_id)
        if user:
            self._let_go(user)

    def _cancel_consult(self, consult, fields):
        if consult is None:
            self._refuse(fields, "no consultation")
            return
        leg = self.callers.pop(consult.leg_id, None)
        if leg:
            self.client.hangup_if_present(leg.channel_id)
            if leg.bridge_id:
                self.client.destroy_bridge_if_present(leg.bridge_id)
        self._back_to_held(consult, cause=0)

    def _back_to_held(self, consult, cause):
        """The consultation is over without a transfer: the user talks to the held party again."""
        self.consults.pop(consult.user_id, None)
        user, other = self.callers.get(consult.user_id), self.callers.get(consult.held_id)
        if user and other:
            self._safely(self.client.ring_stop, user.channel_id)
            self.client.add_channel(other.bridge_id, user.channel_id)
            user.state = "bridged"
            self._unhold(other)
        elif user:
            self._let_go(user)  # the held party hung up meanwhile: nobody to come back to
        self._report_transfer(consult.call_key, "cancelled", consult=consult.leg_id, cause=cause)

    def _consult_of(self, channel_id):
        return next(
            (c for c in self.consults.values() if channel_id in (c.user_id, c.held_id, c.leg_id)),
            None,
        )

    def _consult_party_left(self, consult, caller, cause):
        """Someone of an attended transfer hung up (or their call failed) before it was completed."""
        if caller.channel_id == consult.leg_id:
            if caller.bridge_id:
                self.client.destroy_bridge_if_present(caller.bridge_id)
            self._back_to_held(consult, cause)
        elif caller.channel_id == consult.held_id:
            self._held_party_left(consult, caller)
        elif consult.answered:
            self._hand_over(consult)
        else:
            self._consulted_target_takes_over(consult)

    def _held_party_left(self, consult, held):
        """The held party hung up: the user and the target go on as a call of their own, if it was answered."""
        self.consults.pop(consult.user_id, None)
        self.client.destroy_bridge_if_present(held.bridge_id)
        user, leg = self.callers.get(consult.user_id), self.callers.get(consult.leg_id)
        if user and leg and consult.answered:
            user.peer_id, user.bridge_id, user.state = leg.channel_id, leg.bridge_id, "bridged"
            return
        for caller in (user, leg):
            if caller:
                self._let_go(caller)

    def _consulted_target_takes_over(self, consult):
        """The user hung up while the target still rang: it now rings for the held party, as a blind transfer."""
        self.consults.pop(consult.user_id, None)
        other, leg = self.callers.get(consult.held_id), self.callers.get(consult.leg_id)
        if other is None or leg is None:
            return
        leg.peer_id, leg.call_key, leg.role, leg.recall = (
            other.channel_id,
            other.call_key,
            "transfer",
            consult.extension,
        )
        other.peer_id = leg.channel_id
        self._report_transfer(
            other.call_key,
            "ringing",
            left=consult.user_id,
            leg=leg.channel_id,
            number=consult.number,
            extension=consult.extension,
        )

    # ------------------------------------------------------------------
    # After a restart
    # ------------------------------------------------------------------

    def _start_unfollowed_leg(self, channel_id, args):
        """A transfer's target answered though the router does not follow it (the listener restarted while it
        rang): connect it to the party it was rung for if that one still waits alone; anything else is stale."""
        other = self.callers.get(args[1]) if len(args) >= 2 and args[0] == "transfer" else None
        if other is None or not other.bridge_id or other.peer_id in self.callers:
            self.client.hangup_if_present(channel_id)
            return
        leg = Caller(channel_id, state="ringing", peer_id=other.channel_id, call_key=other.call_key, role="transfer")
        self.callers[channel_id] = leg
        other.peer_id, other.held = channel_id, True  # whoever waits for a transfer's target waits on hold
        self._connect_transfer(leg)

    def _refollow_transfers(self, live, bridges, in_application):
        """Follow again the conversations a transfer changed, from their legs' names (pbx/calls.py): the party
        alone in the conversation's bridge waits on hold for a target that rings or for a user who consults;
        a user left outside it with nobody to consult comes back to it."""
        members_of = {bridge["id"]: [c for c in bridge.get("channels") or [] if c in live] for bridge in bridges}
        bridge_of = {channel_id: bridge_id for bridge_id, members in members_of.items() for channel_id in members}
        keys = {
            conversation_key(channel_id)
            for channel_id in live
            if TRANSFER_LEG in channel_id or CONSULT_LEG in channel_id
        }
        for key in keys:
            legs = [channel_id for channel_id in live if conversation_key(channel_id) == key]
            self._safely(self._refollow_transferred, key, legs, live, members_of, bridge_of, in_application)

    def _follow(self, channel_id, **values):
        caller = self.callers.setdefault(channel_id, Caller(channel_id))
        for name, value in values.items():
            setattr(caller, name, value)
        return caller

    def _refollow_transferred(self, key, legs, live, members_of, bridge_of, in_application):
        bridge_id = call_bridge_id(key)
        talking = members_of.get(bridge_id, [])
        if len(talking) == 2:
            first, second = talking
            for me, other in ((first, second), (second, first)):
                if me not in self.callers:
                    self._follow(me, state="bridged", peer_id=other, bridge_id=bridge_id, call_key=key)
            return
        if len(talking) != 1 or talking[0] in self.callers:
            return
        other = self._follow(talking[0], state="bridged", bridge_id=bridge_id, call_key=key, held=True)
        ringing = [
            leg
            for leg in legs
            if (TRANSFER_LEG in leg or CONSULT_LEG in leg) and leg not in bridge_of and leg != other.channel_id
        ]
        consulting = [leg for leg in legs if CONSULT_LEG in leg and len(members_of.get(bridge_of.get(leg), [])) == 2]
        users = [
            leg
            for leg in legs
            if leg != other.channel_id and in_application(leg) and TRANSFER_LEG not in leg and CONSULT_LEG not in leg
        ]
        abandoned = [leg for leg in legs if CONSULT_LEG in leg and len(members_of.get(bridge_of.get(leg), [])) == 1]
        if abandoned:
            # The user hung up unseen after the target answered: the transfer completes.
            leg = self._follow(abandoned[0], state="ringing", peer_id=other.channel_id, call_key=key, role="transfer")
            other.peer_id = leg.channel_id
            self._connect_transfer(leg)
            self.client.destroy_bridge_if_present(bridge_of[leg.channel_id])
            return
        if consulting:
            leg_id = consulting[0]
            user_id = next(c for c in members_of[bridge_of[leg_id]] if c != leg_id)
            self._refollow_consult(other, user_id, leg_id, bridge_of[leg_id], answered=True)
        elif ringing and CONSULT_LEG in ringing[0] and users:
            self._refollow_consult(other, users[0], ringing[0], "", answered=False)
        elif ringing:
            self._follow(ringing[0], state="ringing", peer_id=other.channel_id, call_key=key, role="transfer")
            other.peer_id = ringing[0]
        elif users:
            # The user was consulting when the consulted target went unseen: back to the held party.
            user = self._follow(users[0], state="bridged", peer_id=other.channel_id, bridge_id=bridge_id, call_key=key)
            other.peer_id = user.channel_id
            self._safely(self.client.ring_stop, user.channel_id)
            self.client.add_channel(bridge_id, user.channel_id)
            if bridge_of.get(user.channel_id):
                self.client.destroy_bridge_if_present(bridge_of[user.channel_id])
            self._unhold(other)
            return
        for leg in ringing[:1]:
            if live[leg].get("state") == "Up" and in_application(leg):
                self._answered(self.callers[leg])  # it answered while nobody listened

    def _refollow_consult(self, other, user_id, leg_id, consult_bridge, answered):
        key = other.call_key
        other.peer_id = user_id
        self._follow(user_id, state="consulting", peer_id=other.channel_id, bridge_id=other.bridge_id, call_key=key)
        self._follow(
            leg_id,
            state="bridged" if answered else "ringing",
            peer_id=user_id,
            bridge_id=consult_bridge,
            call_key=leg_id,
            role="consult",
        )
        self.consults[user_id] = Consult(user_id, other.channel_id, leg_id, key, "", "", answered=answered)
