"""Live supervision: a telephony manager listens to, whispers into or barges into a call from their own phone.

Odoo originates the supervisor's phone (the endpoint of their extension: a desk phone or a browser) into the
application with the Stasis arguments ``["supervise", <supervised leg>, <mode>]``, on a channel id
``telephony-supervise-<hex>`` (only channels the application placed may carry them, see ``is_originated``). When
the supervisor answers:

- ``listen``: the router snoops the supervised leg (``POST /channels/{id}/snoop``, spy ``both``, whisper ``none``)
  into the application with the arguments ``["snoop", <supervisor's leg>]``, and bridges the snoop channel with the
  supervisor in a bridge of their own, ``supervision-<supervisor's leg>``: they hear both sides, nobody hears them;
- ``whisper``: the same with whisper ``out``: what the supervisor says is written to the supervised leg only (``out``
  is what that leg's phone hears), so the user hears the coach and the other party does not;
- ``barge``: the supervisor joins the bridge the supervised leg talks in (the two-party call's ``call-K`` or the
  room's) and everyone hears them.

Odoo switches the mode of a supervisor's leg that is up with the user event ``TelephonySupervise``
``{"channel": <supervisor's leg>, "mode": ...}``: the phone does not ring again; the old snoop is hung up and a new
one made (Asterisk cannot change a snoop's directions), or the supervisor moves between its own bridge and the
call's (``addChannel`` moves a channel out of the bridge it is in). The router reports every mode it puts in place,
the first one included, as ``TelephonySupervision`` ``{"channel": {"id": <supervisor's leg>}, "mode": ...,
"key": <unique to this change>}`` (the key lets Odoo tell a replayed report from a later switch to the same mode),
and a supervisor it hangs up at once because the supervised leg was gone (or not connected) when they answered as
``"state": "refused"``.

Supervision follows the leg it was started on, not the journal row: when that leg ends (it hangs up, or leaves its
call by a blind transfer) the supervisor is hung up; while it lives, Listen and Whisper hear it wherever it goes
(the consultation of an attended transfer included) and Barge stays in the bridge it joined. The supervisor hanging
up ends the snoop and destroys its bridge. Snoops are named ``<supervisor's leg>-snoop-<mode>-<hex>``, so that a
restarted router tells a supervisor's leg, its snoop and their mode from the ids and the bridges alone; neither is
ever a party of a call: they keep no call's bridge up and are never journaled as calls or room participants.
"""

import logging
import uuid
from dataclasses import dataclass

from .ari import PbxError

_logger = logging.getLogger(__name__)

SUPERVISE_EVENT = "TelephonySupervise"
SUPERVISION_REPORT = "TelephonySupervision"
SUPERVISION_PREFIX = "telephony-supervise-"
SNOOP_MARK = "-snoop-"
SUPERVISION_BRIDGE_PREFIX = "supervision-"
SUPERVISION_KINDS = ("supervise", "snoop")
MODES = ("listen", "whisper", "barge")
WHISPER_DIRECTION = {"listen": "none", "whisper": "out"}  # "out": into the supervised leg's own phone only


def new_supervision_leg_id():
    return f"{SUPERVISION_PREFIX}{uuid.uuid4().hex}"


def is_supervision_channel(channel_id):
    """Whether a channel is a supervisor's leg or one of its snoops: never a party of a call."""
    return (channel_id or "").startswith(SUPERVISION_PREFIX)


def supervision_bridge_id(leg_id):
    return f"{SUPERVISION_BRIDGE_PREFIX}{leg_id}"


def _snoop_id(leg_id, mode):
    # A new id each time: a snoop hung up on Asterisk may linger until the snooped channel passes audio.
    return f"{leg_id}{SNOOP_MARK}{mode}-{uuid.uuid4().hex[:8]}"


def _snoop_owner(snoop_id):
    """``(supervisor's leg, mode)`` of a snoop channel id."""
    leg_id, _, rest = snoop_id.partition(SNOOP_MARK)
    return leg_id, rest.split("-", 1)[0]


@dataclass
class Supervision:
    leg_id: str  # the supervisor's phone
    target_id: str  # the supervised leg
    mode: str = ""
    snoop_id: str = ""  # the snoop the supervisor hears (listen, whisper)
    bridge_ready: bool = False  # the supervisor's own bridge exists

    @property
    def bridge_id(self):
        return supervision_bridge_id(self.leg_id)


class SupervisionMixin:
    """Listen, whisper and barge, for :class:`~pbx.conference.CallRouter` (which keeps ``self.supervisions``)."""

    def _start_supervision(self, channel_id, args):
        """The supervisor answered: put them in their mode, if the leg they supervise still talks."""
        target_id, mode = (list(args[1:3]) + ["", ""])[:2]
        target = self.callers.get(target_id)
        if mode not in MODES or target is None or target.state != "bridged" or not self._bridge_of_leg(target):
            _logger.info("Supervision %s of %s refused: that leg is not in a connected call", channel_id, target_id)
            self.report({"type": SUPERVISION_REPORT, "channel": {"id": channel_id}, "state": "refused"})
            self.client.hangup_if_present(channel_id)
            return
        supervision = self.supervisions[channel_id] = Supervision(channel_id, target_id)
        try:
            self._put_in_mode(supervision, mode)
        except PbxError as error:
            # Rather than leave the supervisor in silence: their phone hangs up, Odoo journals the end.
            _logger.warning("Supervision %s of %s failed: %s", channel_id, target_id, error)
            self.client.hangup_if_present(channel_id)

    def _bridge_of_leg(self, leg):
        return leg.bridge_id or (leg.room.bridge_id if leg.room and leg.state == "bridged" else "")

    def _put_in_mode(self, supervision, mode):
        if mode == "barge":
            target = self.callers.get(supervision.target_id)
            bridge_id = self._bridge_of_leg(target) if target else ""
            if not bridge_id:
                _logger.info("Supervision %s cannot barge: its leg is in no bridge", supervision.leg_id)
                return
            self.client.add_channel(bridge_id, supervision.leg_id)
            self._drop_snoop(supervision)
        else:
            if not supervision.bridge_ready:
                self.client.create_bridge(supervision.bridge_id)
                supervision.bridge_ready = True
            self._drop_snoop(supervision)
            self.client.add_channel(supervision.bridge_id, supervision.leg_id)
            supervision.snoop_id = _snoop_id(supervision.leg_id, mode)
            self.client.snoop(
                supervision.target_id,
                spy="both",
                whisper=WHISPER_DIRECTION[mode],
                app_args=["snoop", supervision.leg_id],
                snoop_id=supervision.snoop_id,
            )
        supervision.mode = mode
        key = supervision.snoop_id or uuid.uuid4().hex
        self.report({"type": SUPERVISION_REPORT, "channel": {"id": supervision.leg_id}, "mode": mode, "key": key})

    def _drop_snoop(self, supervision):
        snoop_id, supervision.snoop_id = supervision.snoop_id, ""
        if snoop_id:
            self.client.hangup_if_present(snoop_id)

    def _snoop_started(self, channel_id, args):
        """A snoop entered the application: the supervisor hears it in their bridge; a stale one goes."""
        supervision = self.supervisions.get(args[1] if len(args) >= 2 else "")
        if supervision is None or supervision.snoop_id != channel_id:
            self.client.hangup_if_present(channel_id)
            return
        self.client.add_channel(supervision.bridge_id, channel_id)

    def _supervise_from_odoo(self, fields):
        supervision = self.supervisions.get(fields.get("channel", ""))
        mode = fields.get("mode")
        if supervision is None or mode not in MODES or mode == supervision.mode:
            _logger.info("Supervision %s: nothing to switch to %r", fields.get("channel"), mode)
            return
        self._put_in_mode(supervision, mode)

    def _supervision_channel_ended(self, channel_id):
        """The supervisor hung up (their snoop and bridge go), or the supervised leg (or its snoop) ended: the
        supervisor is hung up, which then ends the rest."""
        supervision = self.supervisions.pop(channel_id, None)
        if supervision:
            self._drop_snoop(supervision)
            if supervision.bridge_ready:
                self.client.destroy_bridge_if_present(supervision.bridge_id)
            return
        for supervision in [s for s in self.supervisions.values() if channel_id in (s.target_id, s.snoop_id)]:
            self.client.hangup_if_present(supervision.leg_id)

    # ------------------------------------------------------------------
    # After a restart
    # ------------------------------------------------------------------

    def _reconcile_supervisions(self, live, bridges, args_of):
        """Follow again the supervisors still up, from their ids, Stasis arguments and bridges; hang up those whose
        supervised leg is gone and the snoops nobody hears; destroy the bridges of supervisors gone. Returns
        ``bridges`` without supervisors and snoops, for the reconciliation of the calls: they are nobody's party.

        ``args_of(channel_id)`` is the Stasis arguments of a live channel, None outside the application. A
        supervisor in no bridge yet (their answer was not seen) is left to be started like any unrouted channel.
        """
        bridge_of = {channel_id: bridge["id"] for bridge in bridges for channel_id in bridge.get("channels") or []}
        bridge_ids = {bridge["id"] for bridge in bridges}
        for leg_id in [leg_id for leg_id in self.supervisions if leg_id not in live]:
            self._safely(self._supervision_channel_ended, leg_id)
        for leg_id in [c for c in live if is_supervision_channel(c) and SNOOP_MARK not in c]:
            args = args_of(leg_id) or []
            if args[:1] != ["supervise"] or len(args) < 3:
                continue
            if args[1] not in live:
                self.supervisions.pop(leg_id, None)
                self.client.hangup_if_present(leg_id)
            elif leg_id not in self.supervisions and leg_id in bridge_of:
                self._safely(self._refollow_supervision, leg_id, args, live, bridge_of, bridge_ids)
        for snoop_id in [c for c in live if is_supervision_channel(c) and SNOOP_MARK in c]:
            supervision = self.supervisions.get(_snoop_owner(snoop_id)[0])
            if supervision is None or supervision.snoop_id != snoop_id:
                self.client.hangup_if_present(snoop_id)
        for bridge_id in bridge_ids:
            leg_id = bridge_id.removeprefix(SUPERVISION_BRIDGE_PREFIX)
            if bridge_id.startswith(SUPERVISION_BRIDGE_PREFIX) and leg_id not in self.supervisions:
                self.client.destroy_bridge_if_present(bridge_id)
        return [
            {**bridge, "channels": [c for c in bridge.get("channels") or [] if not is_supervision_channel(c)]}
            for bridge in bridges
        ]

    def _refollow_supervision(self, leg_id, args, live, bridge_of, bridge_ids):
        own_bridge = supervision_bridge_id(leg_id)
        supervision = self.supervisions[leg_id] = Supervision(leg_id, args[1], bridge_ready=own_bridge in bridge_ids)
        if bridge_of[leg_id] != own_bridge:
            supervision.mode = "barge"  # in the call's own bridge
            return
        snoops = [c for c in live if c.startswith(f"{leg_id}{SNOOP_MARK}") and bridge_of.get(c) == own_bridge]
        if snoops:
            supervision.snoop_id = snoops[0]
            supervision.mode = _snoop_owner(snoops[0])[1]
        else:
            # Its snoop was lost with the events: snoop again, in the mode it was placed with.
            self._put_in_mode(supervision, args[2] if args[2] in WHISPER_DIRECTION else "listen")
