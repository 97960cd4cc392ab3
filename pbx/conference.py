"""Call routing and the conference logic, as a state machine fed by ARI events.

The :class:`CallRouter` receives every event of the application and drives the PBX through an
:class:`~pbx.ari.AriClient`. It knows nothing of Odoo: it asks ``route(dialled, caller, outbound)`` where a
new call goes, and reports what only it can see through ``report(event)``, as events of its own that follow
the same path as the PBX's events: ``TelephonyParticipantWaiting`` (a caller put on hold for the
administrator) and ``TelephonyCallerRejected`` (a caller who typed a wrong access code three times: they
hear the whole goodbye, then the router hangs up).

Prompts take time on a PBX: an action that must follow one (hanging up after the goodbye, music on hold after
"wait for the leader") waits for its ``PlaybackFinished``, keyed by the playback id the router chose; should
that event be lost (sent while the event stream was down), the router acts at the first event it handles
after ``PROMPT_GRACE_SECONDS``.
Someone alone in a room's bridge hears music on hold until someone joins them.

Channels arrive in four ways, told apart by their Stasis arguments:

- ``["invite", room_key, participant_key(, "admin")]``: a participant the room called; it skips the
  access code and goes straight in (or on hold if the room still waits for its administrator);
- ``["dial", number, extension]``: the phone of the user with ``extension``, answered, that now wants
  ``number`` (a room or a peer);
- ``["peer", channel_id]``: the phone the router rang for a forwarded call, answered: it is bridged with
  the caller of ``channel_id`` (and is journaled on that caller's row, not a row of its own);
- ``[dialled]`` (anything else): a caller the dial plan sent in; a room asks for its access code.
"""

import hmac
import logging
import time
import uuid
from dataclasses import dataclass, field

from .ari import PbxError

_logger = logging.getLogger(__name__)

MAX_CODE_TRIES = 3
MAX_CODE_DIGITS = 20
PROMPT_CODE = "sound:conf-getpin"
PROMPT_WRONG_CODE = "sound:conf-invalidpin"
PROMPT_GOODBYE = "sound:vm-goodbye"
PROMPT_WAIT_FOR_ADMIN = "sound:conf-waitforleader"
WAITING_EVENT = "TelephonyParticipantWaiting"
REJECTED_EVENT = "TelephonyCallerRejected"  # three wrong access codes: the caller is sent away
DTMF_EVENT = "TelephonyDtmf"  # user event: keys typed in Odoo for a channel, as if typed on its phone
PEER_SUFFIX = "-peer"
END_EVENTS = ("StasisEnd", "ChannelDestroyed")
RING_SECONDS = 45  # how long a phone the PBX calls for us rings before we give up
PROMPT_GRACE_SECONDS = 30  # our prompts last seconds: one not reported finished by then lost its event


@dataclass
class Room:
    """What the router needs to know of a conference."""

    key: int
    bridge_id: str
    access_code: str = ""
    wait_for_administrator: bool = False
    administrator_numbers: frozenset = frozenset()


@dataclass
class Forward:
    """Connect the caller to one other endpoint (a user's phone, an outside number)."""

    endpoint: str
    caller_id: str = ""


@dataclass
class Caller:
    channel_id: str
    room: Room | None = None
    number: str = ""
    is_administrator: bool = False
    state: str = "new"  # new, code, waiting, bridged, ringing (a peer we rang), forwarding, ended
    digits: str = ""
    tries: int = 0
    peer_id: str = ""


@dataclass
class RoomState:
    room: Room
    bridge_ready: bool = False
    administrator_present: bool = False
    waiting: list = field(default_factory=list)
    music: bool = False  # music on hold plays in the bridge, for someone alone in it


class CallRouter:
    def __init__(
        self,
        client,
        route,
        report=None,
        room_for_key=None,
        ring_seconds=RING_SECONDS,
        prompt_grace_seconds=PROMPT_GRACE_SECONDS,
    ):
        self.client = client
        self.route = route
        self.report = report or (lambda event: None)
        self.room_for_key = room_for_key or (lambda key: None)
        self.ring_seconds = ring_seconds
        self.prompt_grace_seconds = prompt_grace_seconds
        self.callers = {}
        self.rooms = {}
        self.after_playback = {}  # playback id -> (what to do once it finished, channel id, when at the latest)

    # ------------------------------------------------------------------
    # Events
    # ------------------------------------------------------------------

    def handle(self, event):
        """Act on one ARI event; events of channels the router does not follow are ignored."""
        kind = event.get("type")
        channel = event.get("channel") or {}
        channel_id = channel.get("id")
        try:
            if kind == "StasisStart" and channel_id in self.callers:
                self._answered(self.callers[channel_id])
            elif kind == "StasisStart":
                self._start(channel, event.get("args") or [])
            elif kind == "ChannelDtmfReceived" and channel_id in self.callers:
                self._digit(self.callers[channel_id], event.get("digit", ""))
            elif kind == "ChannelUserevent" and event.get("eventname") == DTMF_EVENT:
                self._typed_in_odoo(event.get("userevent") or {})
            elif kind in END_EVENTS and channel_id in self.callers:
                self._end(self.callers.pop(channel_id))
            elif kind == "ChannelEnteredBridge" and channel_id in self.callers:
                self.callers[channel_id].state = "bridged"
            elif kind == "PlaybackFinished":
                self._playback_finished((event.get("playback") or {}).get("id"))
        except PbxError as error:
            _logger.warning("Routing %s of channel %s failed: %s", kind, channel_id, error)
        self._act_on_overdue_prompts()

    def _start(self, channel, args):
        channel_id = channel["id"]
        number = (channel.get("caller") or {}).get("number") or ""
        if args and args[0] == "invite" and len(args) >= 2:
            room = self.room_for_key(int(args[1])) if str(args[1]).isdigit() else None
            if room is None:
                self.client.hangup_if_present(channel_id)
                return
            caller = Caller(channel_id, room, number, is_administrator=len(args) >= 4 and args[3] == "admin")
            self.callers[channel_id] = caller
            self._admit(caller)
            return
        outbound = bool(args) and args[0] == "dial" and len(args) >= 2
        dialled = args[1] if outbound else (args[0] if args else "")
        if outbound and len(args) >= 3:
            number = args[2]  # the placing user's own extension: their phone shows the dialled number
        destination = self.route(dialled, number, outbound)
        if isinstance(destination, Room):
            caller = Caller(channel_id, destination, number)
            caller.is_administrator = number in destination.administrator_numbers
            self.callers[channel_id] = caller
            self._receive(caller)
        elif isinstance(destination, Forward):
            self.callers[channel_id] = Caller(channel_id, number=number, state="forwarding")
            name = (channel.get("caller") or {}).get("name") or ""
            if not outbound:
                destination = _with_caller_name(destination, name, number)
            self._forward(channel_id, destination)
        else:
            _logger.info("Nobody answers %r (from %r): hanging up channel %s", dialled, number, channel_id)
            self.client.hangup_if_present(channel_id)

    # ------------------------------------------------------------------
    # The digital receptionist
    # ------------------------------------------------------------------

    def _receive(self, caller):
        self.client.answer(caller.channel_id)
        if caller.room.access_code:
            caller.state = "code"
            self.client.play(caller.channel_id, PROMPT_CODE)
        else:
            self._admit(caller)

    def _typed_in_odoo(self, typed):
        caller = self.callers.get(typed.get("channel"))
        if caller:
            for digit in str(typed.get("digits", "")):
                self._digit(caller, digit)

    def _digit(self, caller, digit):
        if caller.state != "code":
            return
        if digit != "#":
            caller.digits = (caller.digits + digit)[-MAX_CODE_DIGITS:]
            return
        typed, caller.digits = caller.digits, ""
        if hmac.compare_digest(typed.encode(), caller.room.access_code.encode()):
            self._admit(caller)
            return
        caller.tries += 1
        if caller.tries >= MAX_CODE_TRIES:
            caller.state = "ended"
            self.report(
                {"type": REJECTED_EVENT, "channel": {"id": caller.channel_id, "caller": {"number": caller.number}}}
            )
            self._play_then(caller.channel_id, PROMPT_GOODBYE, "hangup")
        else:
            self.client.play(caller.channel_id, PROMPT_WRONG_CODE)

    # ------------------------------------------------------------------
    # Rooms
    # ------------------------------------------------------------------

    def _room_state(self, room):
        state = self.rooms.get(room.key)
        if state is None:
            state = self.rooms[room.key] = RoomState(room)
        state.room = room
        return state

    def _admit(self, caller):
        state = self._room_state(caller.room)
        self.client.enable_talk_detection(caller.channel_id)
        if caller.is_administrator:
            state.administrator_present = True
        if caller.room.wait_for_administrator and not state.administrator_present:
            caller.state = "waiting"
            state.waiting.append(caller.channel_id)
            self.report(
                {
                    "type": WAITING_EVENT,
                    "channel": {"id": caller.channel_id, "caller": {"number": caller.number}},
                    "room_key": caller.room.key,
                }
            )
            self._play_then(caller.channel_id, PROMPT_WAIT_FOR_ADMIN, "moh")
            return
        self._bridge(state, caller)
        for waiting_id in state.waiting:
            waiting = self.callers.get(waiting_id)
            if waiting and waiting.state == "waiting":
                self.client.stop_moh(waiting_id)
                self._bridge(state, waiting)
        state.waiting = []
        self._music_for_the_lonely(state)

    def _bridge(self, state, caller):
        if not state.bridge_ready:
            self.client.create_bridge(state.room.bridge_id)
            state.bridge_ready = True
        self.client.add_channel(state.room.bridge_id, caller.channel_id)
        caller.state = "bridged"

    def _music_for_the_lonely(self, state):
        """Someone alone in the room hears music on hold (not silence) until someone joins them."""
        bridged = [c for c in self.callers.values() if c.room and c.room.key == state.room.key and c.state == "bridged"]
        alone = len(bridged) == 1
        if alone and not state.music:
            self.client.start_bridge_moh(state.room.bridge_id)
        elif not alone and state.music and bridged:
            self.client.stop_bridge_moh(state.room.bridge_id)
        state.music = alone

    # ------------------------------------------------------------------
    # Prompts
    # ------------------------------------------------------------------

    def _play_then(self, channel_id, media, then):
        """Play ``media`` to the channel, then (on its PlaybackFinished) ``then``: "hangup" or "moh"."""
        playback_id = f"telephony-{uuid.uuid4().hex}"
        self.after_playback[playback_id] = (then, channel_id, time.monotonic() + self.prompt_grace_seconds)
        try:
            self.client.play(channel_id, media, playback_id=playback_id)
        except PbxError:
            # No prompt to wait for: act at once rather than leave the caller in silence.
            self._playback_finished(playback_id)
            raise

    def _act_on_overdue_prompts(self):
        """A PlaybackFinished sent while the event stream was down is lost: act on such prompts anyway,
        rather than leave a rejected caller on the line or a waiting one in silence."""
        now = time.monotonic()
        for playback_id in [pid for pid, pending in self.after_playback.items() if pending[2] <= now]:
            try:
                self._playback_finished(playback_id)
            except PbxError as error:
                _logger.warning("Acting after prompt %s failed: %s", playback_id, error)

    def _playback_finished(self, playback_id):
        then, channel_id, _deadline = self.after_playback.pop(playback_id, (None, None, None))
        if then == "hangup":
            self.client.hangup_if_present(channel_id)
        elif then == "moh":
            caller = self.callers.get(channel_id)
            if caller and caller.state == "waiting":
                self.client.start_moh(channel_id)

    def adopt(self, channel_id, room, number="", waiting=False, is_administrator=False):
        """Follow a channel that was already in a room (or on hold for it) before a restart."""
        state = self._room_state(room)
        state.bridge_ready = True
        caller = Caller(channel_id, room, number, is_administrator, "waiting" if waiting else "bridged")
        self.callers[channel_id] = caller
        if waiting:
            state.waiting.append(channel_id)
        elif is_administrator:
            state.administrator_present = True

    def _end(self, caller):
        self.after_playback = {
            playback_id: pending
            for playback_id, pending in self.after_playback.items()
            if pending[1] != caller.channel_id
        }
        if caller.peer_id:
            self.callers.pop(caller.peer_id, None)
            self.client.hangup_if_present(caller.peer_id)
            self.client.destroy_bridge_if_present(f"call-{min(caller.channel_id, caller.peer_id)}")
        if not caller.room:
            return
        state = self.rooms.get(caller.room.key)
        if not state:
            return
        if caller.channel_id in state.waiting:
            state.waiting.remove(caller.channel_id)
        others = [c for c in self.callers.values() if c.room and c.room.key == caller.room.key]
        if caller.is_administrator and not any(c.is_administrator for c in others):
            state.administrator_present = False
        if not others:
            if state.bridge_ready:
                self.client.destroy_bridge_if_present(caller.room.bridge_id)
            del self.rooms[caller.room.key]
        elif caller.state == "bridged":
            self._music_for_the_lonely(state)

    # ------------------------------------------------------------------
    # Two-party calls
    # ------------------------------------------------------------------

    def _forward(self, channel_id, destination):
        peer_id = f"{channel_id}{PEER_SUFFIX}"
        self.callers[channel_id].peer_id = peer_id
        self.callers[peer_id] = Caller(peer_id, state="ringing", peer_id=channel_id)
        self.client.originate(
            destination.endpoint,
            app_args=["peer", channel_id],
            caller_id=destination.caller_id or None,
            timeout=self.ring_seconds,
            channel_id=peer_id,
        )

    def _answered(self, peer):
        """A peer we rang answered: put both ends of the call in a bridge of their own."""
        if peer.state != "ringing":
            return
        caller = self.callers.get(peer.peer_id)
        if caller is None:
            self.client.hangup_if_present(peer.channel_id)
            return
        bridge_id = f"call-{min(caller.channel_id, peer.channel_id)}"
        self.client.answer(caller.channel_id)
        self.client.create_bridge(bridge_id)
        self.client.add_channel(bridge_id, caller.channel_id)
        self.client.add_channel(bridge_id, peer.channel_id)
        caller.state = peer.state = "bridged"


def _with_caller_name(destination, name, number):
    """The forward, showing the caller's display name too ("Name" <number>) when the PBX gave one."""
    name = name.replace('"', "").strip()
    if not name or destination.caller_id.lstrip().startswith('"'):
        return destination
    return Forward(destination.endpoint, f'"{name}" {destination.caller_id or f"<{number}>"}')
