"""Call routing and the conference logic, as a state machine fed by ARI events.

The :class:`CallRouter` receives every event of the application and drives the PBX through an
:class:`~pbx.ari.AriClient`. It knows nothing of Odoo: it asks ``route(dialled, caller, outbound)`` where a
new call goes, and reports what only it can see through ``report(event)``, as events of its own that follow
the same path as the PBX's events: ``TelephonyParticipantWaiting`` (a caller put on hold for the
administrator) and ``TelephonyCallerRejected`` (a caller who typed a wrong access code three times: they
hear the whole goodbye, then the router hangs up). Hold and transfer of two-party calls, which Odoo asks for
with user events, are in pbx/transfer.py; recording, in pbx/recording.py; how the legs of a call are named, in
pbx/calls.py.

Prompts take time on a PBX: an action that must follow one (hanging up after the goodbye, music on hold after
"wait for the leader") waits for its ``PlaybackFinished``, keyed by the playback id the router chose; should
that event be lost (sent while the event stream was down), the router acts at the first event it handles
after ``PROMPT_GRACE_SECONDS``.
Someone alone in a room's bridge hears music on hold until someone joins them.

Channels arrive in eight ways, told apart by their Stasis arguments:

- ``["invite", room_key, participant_key(, "admin")]``: a participant the room called; it skips the
  access code and goes straight in (or on hold if the room still waits for its administrator);
- ``["dial", number, extension]``: the phone of the user with ``extension``, answered, that now wants
  ``number`` (a room or a peer);
- ``["peer", channel_id]``: the phone the router rang for a forwarded call, answered: it is bridged with
  the caller of ``channel_id`` (and is journaled on that caller's row, not a row of its own);
- ``["transfer", channel_id]``: the phone the router rang to take over ``channel_id``'s call (a blind
  transfer's target, or the transferring user rung back): it joins that party's bridge;
- ``["consult", channel_id]``: the target the user of ``channel_id`` consults before an attended transfer;
- ``["supervise", channel_id, mode]``: a telephony manager's phone, answered, to listen to, whisper into or barge
  into the call of ``channel_id``, and ``["snoop", supervisor]``: the snoop channel the router made for it (see
  pbx/supervision.py);
- ``[dialled]`` (anything else): a caller the dial plan sent in; a room asks for its access code. A phone of
  the PBX dialling by itself (a desk phone's keypad, a browser phone) comes this way from the PJSIP endpoint
  named after its own number, and may call outside numbers like a call placed from Odoo.
"""

import dataclasses
import hmac
import logging
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

from .ari import PbxError
from .calls import (
    CALL_BRIDGE_PREFIX,
    CONSULT_LEG,
    PEER_SUFFIX,
    TRANSFER_LEG,
    Caller,
    Forward,
    Room,
    call_bridge_id,
    conversation_key,
)
from .recording import RECORD_EVENT, RecordingMixin
from .supervision import SUPERVISE_EVENT, SUPERVISION_KINDS, SupervisionMixin
from .transfer import HOLD_EVENT, TRANSFER_EVENT, TransferMixin

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
MUSIC_CHANNEL_PREFIX = "Announcer/"  # the channel Asterisk adds to a bridge to play its music on hold
# Channels Asterisk itself puts in a bridge to play to it or record it: nobody takes part through them.
PLAYER_CHANNEL_PREFIXES = (MUSIC_CHANNEL_PREFIX, "Recorder/")
ORIGINATED_PREFIX = "telephony-"  # ids of the channels Odoo originates (dial, invite)
ORIGINATED_KINDS = ("invite", "dial", "transfer", "consult", *SUPERVISION_KINDS)


def is_originated(channel_id):
    """Whether the application placed this channel itself (ids it chose): only those carry its own Stasis
    arguments. Channels the dial plan sends in have the PBX's ids (``1733130000.42``)."""
    return (
        channel_id.startswith(ORIGINATED_PREFIX)
        or channel_id.endswith(PEER_SUFFIX)
        or TRANSFER_LEG in channel_id
        or CONSULT_LEG in channel_id
    )


END_EVENTS = ("StasisEnd", "ChannelDestroyed")
RING_SECONDS = 45  # how long a phone the PBX calls for us rings before we give up
PROMPT_GRACE_SECONDS = 30  # our prompts last seconds: one not reported finished by then lost its event


@dataclass
class RoomState:
    room: Room
    bridge_ready: bool = False
    administrator_present: bool = False
    waiting: list = field(default_factory=list)
    music: bool = False  # music on hold plays in the bridge, for someone alone in it


class CallRouter(TransferMixin, RecordingMixin, SupervisionMixin):
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
        self.consults = {}  # the user's leg -> its Consult, during an attended transfer
        self.supervisions = {}  # a supervisor's leg -> its Supervision, once answered
        self.after_playback = {}  # playback id -> (what to do once it finished, channel id, when at the latest)
        self.recordings = {}  # bridge id -> the name of its live recording (see pbx/recording.py)

    # ------------------------------------------------------------------
    # Events
    # ------------------------------------------------------------------

    def handle(self, event):
        """Act on one ARI event; events of channels the router does not follow are ignored."""
        kind = event.get("type")
        channel = event.get("channel") or {}
        channel_id = channel.get("id")
        try:
            if kind in END_EVENTS:
                self._supervision_channel_ended(channel_id)
            if kind == "StasisStart" and channel_id in self.callers:
                self._answered(self.callers[channel_id])
            elif kind == "StasisStart":
                self._start(channel, event.get("args") or [])
            elif kind == "ChannelDtmfReceived" and channel_id in self.callers:
                self._digit(self.callers[channel_id], event.get("digit", ""))
            elif kind == "ChannelUserevent":
                self._from_odoo(event.get("eventname"), event.get("userevent") or {})
            elif kind in END_EVENTS and channel_id in self.callers:
                self._end(self.callers.pop(channel_id), _cause(event))
            elif kind == "ChannelEnteredBridge" and channel_id in self.callers:
                self.callers[channel_id].state = "bridged"
            elif kind == "PlaybackFinished":
                self._playback_finished((event.get("playback") or {}).get("id"))
        except PbxError as error:
            _logger.warning("Routing %s of channel %s failed: %s", kind, channel_id, error)
        self._act_on_overdue_prompts()
        self._end_recordings_of_unused_bridges()

    def _start(self, channel, args):
        channel_id = channel["id"]
        number = (channel.get("caller") or {}).get("number") or ""
        if args and args[0] in ORIGINATED_KINDS and not is_originated(channel_id):
            # Only channels the application placed itself carry "invite" or "dial": a dial plan that passes
            # what a caller dialled must not let them join a room without its code or call as someone else.
            _logger.warning("Channel %s claims to be a call Odoo placed (%r): hanging up", channel_id, args[0])
            self.client.hangup_if_present(channel_id)
            return
        if args and args[0] == "invite" and len(args) >= 2:
            room = self.room_for_key(int(args[1])) if str(args[1]).isdigit() else None
            if room is None:
                self.client.hangup_if_present(channel_id)
                return
            caller = Caller(channel_id, room, number, is_administrator=len(args) >= 4 and args[3] == "admin")
            self.callers[channel_id] = caller
            self._admit(caller)
            return
        if args and args[0] in ("transfer", "consult"):
            self._start_unfollowed_leg(channel_id, args)
            return
        if args and args[0] == "supervise":
            self._start_supervision(channel_id, args)
            return
        if args and args[0] == "snoop":
            self._snoop_started(channel_id, args)
            return
        placed_from_odoo = bool(args) and args[0] == "dial" and len(args) >= 2
        dialled = args[1] if placed_from_odoo else (args[0] if args else "")
        # A phone of the PBX (a desk phone, a browser) dialling by itself places a call just as Odoo does.
        outbound = placed_from_odoo or from_own_phone(channel)
        if placed_from_odoo and len(args) >= 3:
            number = args[2]  # the placing user's own extension: their phone shows the dialled number
        destination = self.route(dialled, number, outbound)
        if isinstance(destination, Room):
            caller = Caller(channel_id, destination, number)
            caller.is_administrator = number in destination.administrator_numbers
            self.callers[channel_id] = caller
            self._receive(caller)
        elif isinstance(destination, Forward):
            name = (channel.get("caller") or {}).get("name") or ""
            self.callers[channel_id] = Caller(
                channel_id, number=number, state="forwarding", name=name, call_key=channel_id
            )
            if not placed_from_odoo:
                destination = _with_caller_name(destination, name, number)
            self._forward(channel_id, destination, dialled)
        else:
            _logger.info("Nobody answers %r (from %r): hanging up channel %s", dialled, number, channel_id)
            self.client.hangup_if_present(channel_id)

    # ------------------------------------------------------------------
    # The digital receptionist
    # ------------------------------------------------------------------

    def _receive(self, caller):
        self.client.answer(caller.channel_id)
        caller.answered_at = time.time()
        if caller.room.access_code:
            caller.state = "code"
            self.client.play(caller.channel_id, PROMPT_CODE)
        else:
            self._admit(caller)

    def _from_odoo(self, name, fields):
        """A user event Odoo sent: keys typed in the widget, hold or transfer (see pbx/transfer.py)."""
        if name == DTMF_EVENT:
            self._typed_in_odoo(fields)
        elif name == HOLD_EVENT:
            self._hold_from_odoo(fields)
        elif name == TRANSFER_EVENT:
            self._transfer_from_odoo(fields)
        elif name == RECORD_EVENT:
            self._record_from_odoo(fields)
        elif name == SUPERVISE_EVENT:
            self._supervise_from_odoo(fields)

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
        self._release_waiting(state)

    def _release_waiting(self, state):
        waiting_ids, state.waiting = state.waiting, []
        for waiting_id in waiting_ids:
            waiting = self.callers.get(waiting_id)
            if waiting and waiting.state == "waiting":
                self._bring_in(state, waiting)
        self._music_for_the_lonely(state)

    def _bring_in(self, state, waiting):
        """Take a waiting caller off hold into the room; one who hung up meanwhile must not keep the others out
        (Asterisk answers 404 to the music's stop, 400 "Channel not found" to addChannel), and music that had not
        started yet (its prompt still playing) must not keep this caller out either."""
        try:
            self.client.stop_moh(waiting.channel_id)
        except PbxError as error:
            _logger.info("Channel %s had no waiting music to stop: %s", waiting.channel_id, error)
        try:
            self._bridge(state, waiting)
        except PbxError as error:
            _logger.warning("Channel %s could not leave the waiting music for the room: %s", waiting.channel_id, error)

    def _bridge(self, state, caller):
        created = not state.bridge_ready
        if created:
            self.client.create_bridge(state.room.bridge_id)
            state.bridge_ready = True
        self.client.add_channel(state.room.bridge_id, caller.channel_id)
        caller.state = "bridged"
        if created:
            self._room_bridge_formed(state.room)

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
        elif isinstance(then, tuple) and then[0] == "record":
            self._start_recording(channel_id, then[1])  # a recording's announcement played to its bridge

    def adopt(self, channel_id, room, number="", waiting=False, is_administrator=False, bridge_exists=False):
        """Follow a channel that was already in a room (or on hold for it) before a restart.

        ``bridge_exists`` comes from the PBX's bridge list: a room where callers only waited has no bridge yet.
        """
        state = self._room_state(room)
        state.bridge_ready = bridge_exists
        caller = Caller(channel_id, room, number, is_administrator, "waiting" if waiting else "bridged")
        self.callers[channel_id] = caller
        if waiting:
            state.waiting.append(channel_id)
        elif is_administrator:
            state.administrator_present = True

    def _end(self, caller, cause=0):
        """``caller`` hung up (or its call failed with ``cause``): end what depended on it."""
        self.after_playback = {
            playback_id: pending
            for playback_id, pending in self.after_playback.items()
            if pending[1] != caller.channel_id
        }
        consult = self._consult_of(caller.channel_id)
        if consult:
            self._consult_party_left(consult, caller, cause)
            return
        if caller.role == "transfer" and caller.state == "ringing":
            self._transfer_leg_failed(caller, cause)
            return
        if caller.peer_id:
            self.callers.pop(caller.peer_id, None)
            self.client.hangup_if_present(caller.peer_id)
            self.client.destroy_bridge_if_present(
                caller.bridge_id or call_bridge_id(conversation_key(caller.channel_id))
            )
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
    # Reconciling with the PBX after a (re)connection
    # ------------------------------------------------------------------

    def answered_times(self):
        """When we answered each followed channel: the journal needs it where the answer event was lost."""
        return {caller.channel_id: caller.answered_at for caller in self.callers.values() if caller.answered_at}

    def reconcile(self, channels, bridges, members=(), owned_bridge=None):
        """Bring the router in line with what the PBX has live, after events may have been lost.

        ``channels`` and ``bridges`` are the PBX's lists; ``members`` who the journal last saw in a room
        or waiting for one, as ``(channel_id, room, number, waiting, is_administrator)``;
        ``owned_bridge(bridge_id)`` tells the room bridges of this application. Channels that ended
        meanwhile are let go (their peer legs hung up, their rooms updated), rooms take the existence of
        their bridge from the PBX, two-party calls are followed again (a callee who answered is bridged
        now, one still ringing is awaited, a leg whose other end is gone is hung up), and bridges left
        empty or holding one end of a two-party call are destroyed. Returns the StasisStart events of the
        callers routed now because nobody had routed them, for the journal.
        """
        live = {channel["id"]: channel for channel in channels}
        bridge_of = {channel_id: bridge["id"] for bridge in bridges for channel_id in bridge.get("channels") or []}
        bridge_ids = {bridge["id"] for bridge in bridges}
        # Supervisors and snoops are nobody's party: the calls are reconciled as if they were not in any bridge.
        bridges = self._reconcile_supervisions(
            live, bridges, lambda channel_id: stasis_args(live[channel_id], self.client.app)
        )
        for caller in [caller for caller in self.callers.values() if caller.channel_id not in live]:
            if not self.callers.pop(caller.channel_id, None):
                continue
            if caller.state == "ringing" and not caller.role and caller.peer_id in live:
                # Asterisk hangs up a callee who answers while the application has no listener ("Stasis app
                # not active"): the caller still waits, so they are routed, and the callee rung, again.
                self.callers.pop(caller.peer_id, None)
            else:
                self._safely(self._end, caller)
        members_of = {bridge["id"]: bridge.get("channels") or [] for bridge in bridges}
        for state in self.rooms.values():
            state.bridge_ready = state.room.bridge_id in bridge_ids
            # Asterisk plays a bridge's music on hold through an Announcer channel it adds to the bridge.
            state.music = any(
                (live.get(channel_id) or {}).get("name", "").startswith(MUSIC_CHANNEL_PREFIX)
                for channel_id in members_of.get(state.room.bridge_id, ())
            )
        for channel_id, room, number, waiting, is_administrator in members:
            if channel_id in live and channel_id not in self.callers:
                self.adopt(channel_id, room, number, waiting, is_administrator, room.bridge_id in bridge_ids)
        transferred = {conversation_key(c) for c in live if TRANSFER_LEG in c or CONSULT_LEG in c}
        for channel_id, channel in live.items():
            if channel_id.endswith(PEER_SUFFIX) and conversation_key(channel_id) not in transferred:
                self._safely(self._refollow_call, live.get(channel_id.removesuffix(PEER_SUFFIX)), channel, bridge_of)
        self._refollow_transfers(
            live, bridges, lambda channel_id: stasis_args(live[channel_id], self.client.app) is not None
        )
        legs_of = Counter(conversation_key(channel_id) for channel_id in live)
        for bridge in bridges:
            self._safely(self._tidy_bridge, bridge, live, legs_of, owned_bridge or (lambda bridge_id: False))
        for state in list(self.rooms.values()):
            if state.waiting and (state.administrator_present or not state.room.wait_for_administrator):
                self._safely(self._release_waiting, state)
            elif state.bridge_ready:
                self._safely(self._music_for_the_lonely, state)
        return self._route_unrouted(channels, bridge_of)

    def _safely(self, function, *args):
        """One channel the PBX refuses (hung up a moment ago, say) must not keep the others unreconciled."""
        try:
            function(*args)
        except PbxError as error:
            _logger.warning("Reconciling with the PBX: %s", error)

    def _refollow_call(self, caller_channel, peer_channel, bridge_of):
        """Follow a two-party call again from its legs: ``<caller id>-peer`` is the leg we rang for the caller."""
        peer_id = peer_channel["id"]
        if caller_channel is None:
            self.callers.pop(peer_id, None)
            self.client.hangup_if_present(peer_id)
            return
        caller_id = caller_channel["id"]
        if peer_id not in self.callers:
            party = caller_channel.get("caller") or {}
            self.callers[caller_id] = Caller(
                caller_id,
                number=party.get("number") or "",
                name=party.get("name") or "",
                state="forwarding",
                peer_id=peer_id,
                call_key=caller_id,
            )
            self.callers[peer_id] = Caller(peer_id, state="ringing", peer_id=caller_id, call_key=caller_id)
        peer = self.callers[peer_id]
        together = bridge_of.get(peer_id) and bridge_of.get(peer_id) == bridge_of.get(caller_id)
        if together:
            self.callers[caller_id].state = peer.state = "bridged"
            self.callers[caller_id].bridge_id = peer.bridge_id = bridge_of[peer_id]
        elif peer_channel.get("state") == "Up":
            # The callee answered while nobody listened: connect them now, as their StasisStart would have.
            peer.state = "ringing"
            self._answered(peer)

    def _tidy_bridge(self, bridge, live, legs_of, owned_bridge):
        bridge_id, members = bridge["id"], bridge.get("channels") or []
        if bridge_id.startswith(CALL_BRIDGE_PREFIX):
            # A leg whose conversation has no other live leg is alone: nobody rings or consults for it.
            alone = [c for c in members if c in live and legs_of[conversation_key(c)] < 2 or c not in live]
            if len(members) >= 2 or (members and not alone):
                return
            for channel_id in alone:
                self.callers.pop(channel_id, None)
                self.client.hangup_if_present(channel_id)
            self.client.destroy_bridge_if_present(bridge_id)
        elif owned_bridge(bridge_id) and not self._in_application(members, live):
            self.client.destroy_bridge_if_present(bridge_id)
            for state in self.rooms.values():
                if state.room.bridge_id == bridge_id:
                    state.bridge_ready = False

    def _in_application(self, channel_ids, live):
        """Those of ``channel_ids`` that are callers in our application: a channel Asterisk adds to a bridge to
        play to it (``Announcer/`` for music on hold) runs no application and keeps nobody company."""
        return [
            channel_id
            for channel_id in channel_ids
            if channel_id in live and stasis_args(live[channel_id], self.client.app) is not None
        ]

    def _route_unrouted(self, channels, bridge_of):
        """Route the callers in our application that nobody follows (their StasisStart was lost)."""
        starts = []
        for channel in channels:
            channel_id = channel["id"]
            followed = channel_id in self.callers or channel_id in bridge_of
            if followed or channel_id.endswith(PEER_SUFFIX) or channel.get("state") not in ("Ring", "Up"):
                continue
            args = stasis_args(channel, self.client.app)
            if args is None:
                continue
            start = {"type": "StasisStart", "channel": channel, "args": args, "timestamp": channel.get("creationtime")}
            self.handle(start)
            starts.append(start)
        return starts

    # ------------------------------------------------------------------
    # Two-party calls
    # ------------------------------------------------------------------

    def _forward(self, channel_id, destination, dialled=""):
        peer_id = f"{channel_id}{PEER_SUFFIX}"
        caller = self.callers[channel_id]
        caller.peer_id = peer_id
        caller.recording, caller.announcement = destination.recording, destination.announcement
        self.callers[peer_id] = Caller(
            peer_id, number=dialled, state="ringing", peer_id=channel_id, call_key=channel_id
        )
        self.client.originate(
            destination.endpoint,
            app_args=["peer", channel_id],
            caller_id=destination.caller_id or None,
            timeout=self.ring_seconds,
            channel_id=peer_id,
        )

    def _answered(self, peer):
        """A peer we rang answered: put both ends of the call in a bridge of their own (a transfer's target
        joins the bridge of the party it takes over; a consulted target talks to the user in a new one)."""
        if peer.state != "ringing":
            return
        if peer.role == "transfer":
            self._connect_transfer(peer)
            return
        if peer.role == "consult":
            self._connect_consult(peer)
            return
        caller = self.callers.get(peer.peer_id)
        if caller is None:
            self.client.hangup_if_present(peer.channel_id)
            return
        bridge_id = call_bridge_id(caller.channel_id)
        self.client.answer(caller.channel_id)
        caller.answered_at = time.time()
        self.client.create_bridge(bridge_id)
        self.client.add_channel(bridge_id, caller.channel_id)
        self.client.add_channel(bridge_id, peer.channel_id)
        caller.state = peer.state = "bridged"
        caller.bridge_id = peer.bridge_id = bridge_id
        self._call_bridge_formed(caller)


def from_own_phone(channel):
    """Whether the channel comes from the PJSIP endpoint named after its caller's number
    (``PJSIP/201-0000002a`` calling as 201): a phone of the PBX calling, not a trunk presenting a number."""
    number = (channel.get("caller") or {}).get("number") or ""
    technology, _, resource = (channel.get("name") or "").partition("/")
    return bool(number) and technology == "PJSIP" and resource.rsplit("-", 1)[0] == number


def _with_caller_name(destination, name, number):
    """The forward, showing the caller's display name too ("Name" <number>) when the PBX gave one."""
    name = name.replace('"', "").strip()
    if not name or destination.caller_id.lstrip().startswith('"'):
        return destination
    return dataclasses.replace(destination, caller_id=f'"{name}" {destination.caller_id or f"<{number}>"}')


def _cause(event):
    cause = event.get("cause")
    return int(cause) if isinstance(cause, int | str) and str(cause).isdigit() else 0


def stasis_args(channel, app):
    """The Stasis() arguments of a channel the PBX lists as in application ``app`` ("app,arg1,..." in its
    dialplan data); None for a channel in no application or in another one."""
    dialplan = channel.get("dialplan") or {}
    if dialplan.get("app_name") != "Stasis":
        return None
    name, *args = (dialplan.get("app_data") or "").split(",")
    return args if name == app else None
