"""An ARI-speaking PBX simulator on loopback: the embedded PBX of the demo and the peer of the tests.

Start it with::

    python3 -m pbx.simulator --host 127.0.0.1 --port 8088 --user telephony --password telephony --demo

It serves the subset of Asterisk 22's REST Interface that the addon uses, over real HTTP and a real
WebSocket (aiohttp), so the client that talks to Asterisk talks to it unchanged.

ARI resources implemented (under ``/ari``; HTTP basic auth or ``api_key=user:password``):

- ``GET asterisk/info``, ``GET endpoints``, ``POST events/user/{name}``
- ``GET|POST channels`` (originate: endpoint, app, appArgs, callerId, timeout, channelId),
  ``GET|DELETE channels/{id}``, ``POST channels/{id}/answer``, ``POST|DELETE channels/{id}/mute``
  (direction required), ``POST channels/{id}/dtmf``, ``POST channels/{id}/play``,
  ``POST|DELETE channels/{id}/moh``, ``POST|DELETE channels/{id}/hold``, ``POST|DELETE channels/{id}/ring``,
  ``POST channels/{id}/variable``, ``POST channels/{id}/snoop`` (spy, whisper, app, appArgs, snoopId)
- ``GET|POST bridges``, ``POST bridges/{id}`` (create with that id), ``GET|DELETE bridges/{id}``,
  ``POST bridges/{id}/addChannel``, ``POST bridges/{id}/removeChannel``, ``POST bridges/{id}/play``,
  ``POST|DELETE bridges/{id}/moh``
- ``GET channels/{id}/variable`` (a plain channel variable; ``DB(...)`` and ``DB_DELETE(...)`` answer 500 as
  Asterisk's "dangerous function" guard does; on ``<id>;2``, the dialplan half of a Local channel)
- ``GET events?app=NAME`` (WebSocket)
- ``POST bridges/{id}/record``, ``POST channels/{id}/record`` (name, format, ifExists, beep),
  ``GET recordings/live/{name}``, ``POST recordings/live/{name}/stop``, ``GET recordings/stored``,
  ``GET|DELETE recordings/stored/{name}``, ``GET recordings/stored/{name}/file``
- ``GET|PUT|DELETE asterisk/config/dynamic/res_pjsip/{endpoint|aor|auth}/{id}`` (ARI's dynamic configuration
  over a writable sorcery store, as the README's ``sorcery.conf`` sets up for browser phones)

Events sent: StasisStart, StasisEnd, ChannelStateChange, ChannelDtmfReceived, ChannelTalkingStarted,
ChannelTalkingFinished, ChannelEnteredBridge, ChannelLeftBridge, ChannelHangupRequest,
ChannelDestroyed (with cause and cause_txt), ChannelUserevent, ChannelHold, ChannelUnhold, PlaybackStarted,
PlaybackFinished, RecordingStarted, RecordingFinished, RecordingFailed, ApplicationReplaced.

Simulator-only control endpoints (no Asterisk has them), under ``/_sim``, same credentials:
``POST _sim/calls?caller=N&dialled=N`` (an outside caller dials a number: the channel enters the
application; while it is not active, the call goes to the outage fallback and talks ``talk`` seconds;
``&endpoint=201`` makes it the PBX's phone 201 dialling by itself, channel ``PJSIP/201-…``),
``POST _sim/channels/{id}/dtmf?digits=12#`` (a phone's keypad),
``POST _sim/channels/{id}/talk?talking=1|0``, ``POST _sim/channels/{id}/hangup`` (the phone hangs up),
``POST _sim/channels/{id}/hold?on=1|0`` (the phone's own hold key),
``POST _sim/drop`` (close every event WebSocket), ``POST _sim/delay?seconds=S`` (slow every ARI answer),
``POST _sim/recordings?name=N&seconds=S`` (a stored recording of S seconds, as a finished call leaves),
``POST _sim/recordings/{name}/truncate?size=B`` (its file is served cut to B bytes, its header unchanged: a
PBX whose disk filled up).

Where it behaves like Asterisk 22 because the addon relies on it (the Asterisk fact behind each):

- A channel the application originates enters Stasis with its ``appArgs`` once answered, whatever they are:
  the peer leg of a forwarded call (``<id>-peer``) sends StasisStart with args ``["peer", id]`` like any
  other (seen on Asterisk 22.10.1: an originate with ``appArgs=peer,abc123`` sends ChannelStateChange Up,
  then StasisStart with ``"args": ["peer", "abc123"]`` and the originate's caller id on the channel).
- A playback takes time: ``PlaybackStarted``, then ``PlaybackFinished`` (state ``done``) after
  ``playback_seconds`` (1 s by default; on Asterisk 22.10.1 ``sound:conf-getpin`` played 2.4 s before its
  ``done``). A hang-up during a playback cuts it: ChannelHangupRequest, ``PlaybackFinished`` with state
  ``failed``, then StasisEnd and ChannelDestroyed (the order Asterisk 22.10.1 sent for a DELETE 7 ms after
  a play).
- Caller ids are parsed like Asterisk's ``ast_callerid_parse``: ``"Name" <number>``, ``<number>``, a
  bare number, or a bare (or quoted) name.
- An endpoint configured with ``{"fails": cause}`` stands for a dial string the PBX accepts and cannot
  place, like ``Local/{number}@from-internal`` when that context does not exist: the originate answers
  200, then the channel is destroyed at once (no Ringing, no StasisStart) with that cause and its
  ``cause_txt`` (Asterisk 22.10.1 answers 200 for ``Local/555@missing-context``, then within 1 ms sends
  ChannelDestroyed with cause 0, "Unknown", for a channel that never left Down).
- A channel in Stasis lists ``dialplan.app_name`` ``Stasis`` and ``app_data`` ``<app>,<arg>,...``; a channel
  still ringing runs no application yet. Channels and bridges stay when the application's WebSocket closes,
  and nothing is replayed on reconnection: a listener reads ``GET channels`` and ``GET bridges``.
- A bridge exists only once created: ``addChannel`` to any other answers 404 "Bridge not found", after a
  listener restart as before it (a room where callers only waited on hold has no bridge).
- While no WebSocket holds the application it is not active: events are dropped, not queued; an originated
  channel that answers is hung up ("Stasis app 'telephony' not active"); a caller the dialplan sends into
  Stasis() is refused (``STASISSTATUS=FAILED``) and the README's dialplan takes over: ``/_sim/calls`` then Dials
  the dialled extension's phone and, at hang-up, writes the README's outage record into astdb
  (``telephony_outage/<caller's id>`` = ``start,end,caller,dialled,DIALSTATUS,ANSWEREDTIME``).
- ARI may not read astdb (``DB()`` is "dangerous"), so the README's dialplan lists the records on the ``;2``
  half of ``Local/drain@telephony-outage-drain`` as ``TELEPHONY_OUTAGE`` = ``key=value|key=value|``, and
  ``Local/<key>@telephony-outage-forget`` deletes one record and never answers.
- A second websocket on an application's name takes all its events; the previous socket gets one
  ``ApplicationReplaced`` event and nothing after it, and is not closed (Asterisk 22.10.1: no refusal, no error).
- ``POST channels/{id}/hold`` holds *that* channel: Asterisk's ``app_control_hold`` (res/stasis/control.c) runs
  ``ast_indicate(HOLD)`` on it, and chan_pjsip answers by playing it music on hold (``moh_passthrough=no``) or by
  putting its phone on hold; the channel keeps sending its audio into its bridge. No event is sent: ``ChannelHold``
  and ``ChannelUnhold`` come from ``ast_queue_hold``/``ast_queue_unhold``, which chan_pjsip calls when a phone puts
  its call on hold itself (a re-INVITE ``sendonly``): the ``/_sim`` hold key. ``POST channels/{id}/ring`` has an
  answered channel hear the ring tone (the core plays it in band). (Read in Asterisk 22's source.)
- Hold, unhold and ring of a channel that is not in Stasis answer 409 "Channel not in Stasis application".
- ``addChannel`` of a channel already in another bridge moves it (``control_swap_channel_in_bridge`` departs
  the Stasis bridge it is in first): ChannelLeftBridge, then ChannelEnteredBridge.
- Originating a channel id that exists answers 409 "Channel with given unique ID already exists".
- Channels carry their ``creationtime``.
- ``POST channels/{id}/snoop`` (seen on Asterisk 22.10.1, ``res/ari/resource_channels.c`` and
  ``res/res_stasis_snoop.c``): answers 200 with the new channel, ``Snoop/<snooped id>-<8 hex digits>``, whose id is
  ``snoopId``, state ``Up``, an empty caller id (name and number ``""``), dialplan context ``default``, exten
  ``s``; it enters Stasis within milliseconds, in a thread of its own, with ``args`` = ``appArgs`` split on commas
  and ``app_data`` ``<app>,<appArgs>`` (the answer may come before: then its ``app_name`` and ``app_data`` are
  ``""``; the simulator always answers first), wherever the snooped channel is (Asterisk does not require it to be
  in Stasis). Refusals: 400 "Invalid direction specified for spy" / "... for whisper" (a direction
  other than none, both, out, in), 400 "Direction must be specified for at least spy or whisper" (both ``none``,
  the default), 400 "Application name is required", 404 "Provided channel was not found", and 500 "Snoop channel
  could not be created" for a ``snoopId`` any channel already has (no 409 or 422). A snoop channel takes part in
  bridges like any channel and sends talk events only once ``TALK_DETECT`` is set on it (Asterisk 22.10.1 sent
  ChannelTalkingStarted for a snoop with talk detection on). It never sends ChannelDestroyed to the application:
  hung up through ARI it sends ChannelHangupRequest (cause 32, soft), ChannelLeftBridge and StasisEnd; when the
  snooped channel hangs up, the snoop leaves its bridge and sends StasisEnd (no ChannelHangupRequest) between the
  snooped channel's StasisEnd and its ChannelDestroyed, and is gone from ``GET channels``.
- Recordings (seen on Asterisk 22.10.1, format ``wav``, bridges of two Local channels):
  ``POST bridges/{id}/record`` answers 201 with the LiveRecording ``{"name", "format": "wav", "state": "queued",
  "target_uri": "bridge:<id>"}``; 0.02 to 0.3 s later ``RecordingStarted`` carries it with ``"state":
  "recording"``, without ``channel`` or ``bridge``. Asterisk adds a ``Recorder/ARI-<n>;2`` channel to the bridge
  (``bridge show all`` counts it) that ARI lists nowhere: not in ``GET bridges/{id}`` ``channels``, not in
  ``GET channels``, and no ChannelEnteredBridge for it. A bridge that is still empty records (``GET
  recordings/live/{name}`` says ``recording``) but no ``RecordingStarted`` reaches the application, which follows
  no such bridge yet. Audio is written only while two parties talk in the bridge: a recording started on an empty
  bridge, or going on after one party left, is as long as the time both were in it (2.52 s of a 5.5 s recording).
  ``POST recordings/live/{name}/stop`` answers 204, then ``RecordingFinished`` ``{"state": "done", "duration":
  <whole seconds, rounded down: 3 for a 3.54 s file>}``; a second stop answers 404 "Recording not found". The
  recording ends with its bridge: destroying a bridge with both parties in it sends ``RecordingFinished``; the
  last party leaving a bridge sends it when the bridge empties; destroying a bridge one party had already left
  ends the recording (the file is stored) with no ``RecordingFinished`` in two runs out of three (the third sent
  it, ``duration`` 0): the simulator plays the worst case and sends none. Destroying a bridge
  while no WebSocket holds the application loses the event too; recordings go on across a reconnection of the
  application, and a new WebSocket gets their later events. A name already live or stored answers 409
  "Recording '<name>' already exists and can not be overwritten" (``ifExists=fail``); an unknown format 422
  "specified format is unknown on this system"; a missing bridge 404 "Bridge not found"; a missing name 500
  "Error parsing request" (a missing format crashed Asterisk 22.10.1: the simulator answers 400, the client
  always sends it). ``POST channels/{id}/record`` on a channel in a bridge answers 201 ``queued``, then
  ``RecordingFailed`` ``{"state": "failed", "cause": "Cannot record channel while in bridge"}``.
  ``GET recordings/stored`` lists ``{"name", "format"}``; ``GET recordings/stored/{name}/file`` answers 200
  ``Content-Type: audio/wav``, ``Cache-Control: no-cache, no-store`` and a Content-Length, a 44-byte-header PCM WAV
  (8000 Hz, 16-bit, mono: 16,000 bytes a second); ``DELETE recordings/stored/{name}`` answers 204, then 404
  "Recording not found" to GET, its file and DELETE. Recordings of a channel outside any bridge: not checked on
  Asterisk; the simulator records it until it hangs up and then sends RecordingFinished.
- Dynamic configuration (seen on Asterisk 22.10.1 with res_pjsip's endpoint, aor and auth mapped to astdb):
  ``PUT`` answers 200 with every field of the object, secrets included; a field the type does not have
  answers 400 "Creation of object '<id>' failed field value validation"; an object of pjsip.conf (here:
  ``static_config``) answers 403 "Cannot update sorcery objects of type '<type>'" to PUT and "Could not delete
  object with id '<id>'" to DELETE; a missing object 404 "Object with id '<id>' not found"; an unknown class
  or type 404 "configClass 'x' not found" / "objectType 'x' not found"; DELETE answers 204. An endpoint
  created without ``allow`` (no codec) is stored but cannot be loaded: GET and DELETE answer 404.

Where it differs from Asterisk: there is no audio and no dialplan (a recording's file is a 400 Hz tone as long
as the recording; a snoop channel only records its ``spy`` and ``whisper`` directions; on Asterisk 22.10.1 a snoop
hung up through ARI may stay listed, outside Stasis, until the snooped channel next passes audio, while the
simulator drops it at once); an endpoint's behaviour (answer after
a delay, busy, no answer) comes from the configuration; originated calls are single channels (no Local
``;1``/``;2`` halves) and always send ChannelDestroyed; talking happens only when scripted through
``/_sim`` or, with ``--demo``, at random among bridged channels with talk detection on. ``/_sim/delay``
slows every request by the same time, so requests still run in the order they arrived; an Asterisk that
froze runs the requests queued meanwhile in no set order (on 22.10.1, a DELETE sent after a timed-out
originate ran before the channel was created and found nothing): a cancelled originate is only known
cancelled when the PBX confirms the hang-up, otherwise the listener journals the call when it shows up.
"""

import argparse
import asyncio
import base64
import contextlib
import hmac
import itertools
import json
import logging
import math
import random
import struct
import threading
import time
import uuid
from collections import deque
from datetime import datetime, timezone

from aiohttp import WSMsgType, web

_logger = logging.getLogger(__name__)

ASTERISK_VERSION = "22.10.1-telephony-simulator"
CAUSES = {
    0: "Unknown",
    1: "Unallocated (unassigned) number",
    3: "No route to destination",
    16: "Normal Clearing",
    17: "User busy",
    19: "User alerting, no answer",
    34: "Circuit/channel congestion",
}
DEFAULT_ENDPOINTS = {
    **{str(extension): {"answer_after": 0.3} for extension in range(100, 110)},
    "486": {"busy": True},
    "408": {"no_answer": True},
}
DEFAULT_BEHAVIOUR = {"answer_after": 0.5}
PLAYBACK_SECONDS = 1.0
SNOOP_DIRECTIONS = ("none", "both", "out", "in")
RECORDING_START_SECONDS = 0.3  # Asterisk 22.10.1: RecordingStarted 0.02 to 0.3 s after the 201
RECORDING_RATE = 8000
TONE_PERIOD = 20  # samples: a 400 Hz tone at 8 kHz
RECORDING_FORMATS = ("wav", "wav16", "gsm", "ulaw", "alaw", "sln", "g722", "g729")
OUTAGE_FAMILY = "telephony_outage"
OUTAGE_DRAIN_CONTEXT = "telephony-outage-drain"
OUTAGE_FORGET_CONTEXT = "telephony-outage-forget"
DANGEROUS_FUNCTIONS = ("DB(", "DB_DELETE(")
# The PJSIP fields the simulator's dynamic configuration knows (Asterisk knows many more, and refuses others).
PJSIP_FIELDS = {
    "endpoint": {
        "webrtc",
        "context",
        "disallow",
        "allow",
        "dtmf_mode",
        "aors",
        "auth",
        "callerid",
        "transport",
        "direct_media",
        "media_encryption",
        "ice_support",
        "use_avpf",
        "rtcp_mux",
        "dtls_auto_generate_cert",
        "outbound_auth",
        "language",
        "moh_suggest",
        "force_rport",
        "rewrite_contact",
        "rtp_symmetric",
    },
    "aor": {
        "max_contacts",
        "remove_existing",
        "qualify_frequency",
        "remove_unavailable",
        "contact",
        "default_expiration",
        "minimum_expiration",
        "maximum_expiration",
    },
    "auth": {"auth_type", "username", "password", "md5_cred", "realm"},
}


def _now():
    stamp = datetime.now(timezone.utc)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}+0000"


class Channel:
    def __init__(self, channel_id, name, app, caller_name="", caller_number="", exten="", state="Down"):
        self.id = channel_id
        self.name = name
        self.app = app
        self.caller = {"name": caller_name, "number": caller_number}
        self.exten = exten
        self.state = state
        self.args = []
        self.in_stasis = False
        self.muted_in = False
        self.talk_detect = False
        self.talking = False
        self.moh = False
        self.held = False  # put on hold through ARI: this channel hears music on hold
        self.ringback = False  # ARI ring: this channel hears the ring tone
        self.phone_on_hold = False  # its phone's own hold key
        self.snoop_of = None  # a snoop channel: the id of the channel it spies on or whispers into
        self.spy = self.whisper = "none"
        self.bridge_id = None
        self.variables = {}
        self.playbacks = {}  # playback id -> (its task, the playback) while it plays
        self.context = "telephony-in"
        self.created = _now()

    def as_json(self):
        return {
            "id": self.id,
            "name": self.name,
            "state": self.state,
            "protocol_id": "",
            "caller": dict(self.caller),
            "connected": {"name": "", "number": ""},
            "accountcode": "",
            "dialplan": self._dialplan(),
            "creationtime": self.created,
            "language": "en",
        }

    def _dialplan(self):
        """In Stasis, Asterisk lists the application and its arguments as the dialplan's ``app_data``;
        a channel still ringing runs no application yet."""
        dialplan = {"context": self.context, "exten": self.exten, "priority": 1, "app_name": "", "app_data": ""}
        if self.in_stasis:
            dialplan.update(app_name="Stasis", app_data=",".join([self.app, *self.args]))
        return dialplan


class Bridge:
    def __init__(self, bridge_id, name=""):
        self.id = bridge_id
        self.name = name
        self.channels = []
        self.moh = False
        self.created = _now()

    def as_json(self):
        return {
            "id": self.id,
            "technology": "softmix" if len(self.channels) > 2 else "simple_bridge",
            "bridge_type": "mixing",
            "bridge_class": "stasis",
            "creator": "Stasis",
            "name": self.name,
            "channels": list(self.channels),
            "creationtime": self.created,
            "video_mode": "talker",
        }


class LiveRecording:
    """A recording in progress; its audio runs only while the bridge holds two parties (Asterisk writes the
    mixed audio of the parties, none while one is alone)."""

    def __init__(self, name, target_uri, bridge_id=None, channel_id=None):
        self.name = name
        self.target_uri = target_uri
        self.bridge_id = bridge_id
        self.channel_id = channel_id
        self.state = "queued"
        self.seconds = 0.0
        self.audio_since = None

    def as_json(self):
        return {"name": self.name, "format": "wav", "state": self.state, "target_uri": self.target_uri}

    def audio(self, running):
        now = time.monotonic()
        if self.audio_since is not None:
            self.seconds += now - self.audio_since
        self.audio_since = now if running else None


class StoredRecording:
    def __init__(self, seconds):
        self.seconds = seconds
        self.served_size = None  # /_sim truncate: serve only this many bytes of the file

    def wav(self):
        frames = round(self.seconds * RECORDING_RATE)
        tone = b"".join(
            int(8000 * math.sin(2 * math.pi * index / TONE_PERIOD)).to_bytes(2, "little", signed=True)
            for index in range(TONE_PERIOD)
        )
        samples = (tone * (frames // TONE_PERIOD + 1))[: frames * 2]
        header = (
            b"RIFF"
            + (36 + len(samples)).to_bytes(4, "little")
            + b"WAVEfmt "
            + struct.pack("<IHHIIHH", 16, 1, 1, RECORDING_RATE, RECORDING_RATE * 2, 2, 16)
            + b"data"
            + len(samples).to_bytes(4, "little")
        )
        data = header + samples
        return data if self.served_size is None else data[: self.served_size]


class AriError(web.HTTPException):
    def __init__(self, status, message):
        self.status_code = status
        super().__init__(text=json.dumps({"message": message}), content_type="application/json")


class Simulator:
    """The simulated PBX. ``start()`` serves it from a background thread; ``serve_forever()`` in the foreground."""

    def __init__(
        self,
        host="127.0.0.1",
        port=8088,
        user="telephony",
        password="telephony",
        endpoints=None,
        demo=False,
        playback_seconds=PLAYBACK_SECONDS,
        static_config=(),
    ):
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.endpoints = {**DEFAULT_ENDPOINTS, **(endpoints or {})}
        self.demo = demo
        self.playback_seconds = playback_seconds
        self.channels = {}
        self.bridges = {}
        self.sockets = {}
        self.astdb = {}  # "family/key" -> value, Asterisk's internal database
        self.config_objects = {}  # (type, id) -> fields, res_pjsip objects created over ARI
        self.static_config = {tuple(key) for key in static_config}  # (type, id) of pjsip.conf: read-only
        self.local_halves = {}  # "<id>;2" -> the variables of the dialplan half of a Local channel
        self.live_recordings = {}  # name -> LiveRecording
        self.stored_recordings = {}  # name -> StoredRecording
        self.delay = 0.0
        self.requests = deque(maxlen=10_000)  # (method, path, monotonic time) of recent requests, for tests
        self.originated = deque(maxlen=10_000)  # channel ids asked for by originates, refused ones included
        self._ids = itertools.count(1)
        self._epoch = int(time.time())
        self._loop = None
        self._runner = None
        self._thread = None
        self._tasks = set()

    # ------------------------------------------------------------------
    # Running
    # ------------------------------------------------------------------

    @property
    def url(self):
        return f"http://{self.host}:{self.port}"

    def start(self):
        """Serve in a background thread; returns once the port is bound (port 0 picks a free one)."""
        ready = threading.Event()
        self._thread = threading.Thread(target=self._run_in_thread, args=(ready,), name="pbx-simulator", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("the PBX simulator did not start")
        return self

    def stop(self):
        if self._loop and self._loop.is_running():
            asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(10)
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread:
            self._thread.join(10)

    def call(self, coroutine_function, *args):
        """Run a coroutine function of the simulator on its loop from another thread; return its result."""
        return asyncio.run_coroutine_threadsafe(coroutine_function(*args), self._loop).result(10)

    def _run_in_thread(self, ready):
        self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._startup())
        ready.set()
        self._loop.run_forever()
        self._loop.close()

    def serve_forever(self):
        async def main():
            await self._startup()
            _logger.info("PBX simulator serving ARI on %s (demo=%s)", self.url, self.demo)
            while True:
                await asyncio.sleep(3600)

        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(main())

    async def _startup(self):
        self._loop = asyncio.get_running_loop()
        app = web.Application(middlewares=[self._auth_middleware])
        app.add_routes(self._routes())
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]
        if self.demo:
            self._spawn(self._random_talk())

    async def _shutdown(self):
        for task in list(self._tasks):
            task.cancel()
        await self._drop_sockets()
        await self._runner.cleanup()

    def _spawn(self, coroutine):
        task = self._loop.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def _routes(self):
        return [
            web.get("/ari/asterisk/info", self.asterisk_info),
            web.get("/ari/endpoints", self.list_endpoints),
            web.post("/ari/events/user/{name}", self.user_event),
            web.get("/ari/events", self.events),
            web.get("/ari/channels", self.list_channels),
            web.post("/ari/channels", self.originate),
            web.get("/ari/channels/{id}", self.get_channel),
            web.delete("/ari/channels/{id}", self.hangup),
            web.post("/ari/channels/{id}/answer", self.answer),
            web.post("/ari/channels/{id}/mute", self.mute),
            web.delete("/ari/channels/{id}/mute", self.unmute),
            web.post("/ari/channels/{id}/dtmf", self.send_dtmf),
            web.post("/ari/channels/{id}/play", self.play_on_channel),
            web.post("/ari/channels/{id}/moh", self.start_moh),
            web.delete("/ari/channels/{id}/moh", self.stop_moh),
            web.post("/ari/channels/{id}/hold", self.hold),
            web.delete("/ari/channels/{id}/hold", self.unhold),
            web.post("/ari/channels/{id}/ring", self.ring),
            web.delete("/ari/channels/{id}/ring", self.ring_stop),
            web.post("/ari/channels/{id}/variable", self.set_variable),
            web.get("/ari/channels/{id}/variable", self.get_variable),
            web.post("/ari/channels/{id}/snoop", self.snoop),
            web.get("/ari/bridges", self.list_bridges),
            web.post("/ari/bridges", self.create_bridge),
            web.post("/ari/bridges/{id}", self.create_bridge),
            web.get("/ari/bridges/{id}", self.get_bridge),
            web.delete("/ari/bridges/{id}", self.destroy_bridge),
            web.post("/ari/bridges/{id}/addChannel", self.add_channel),
            web.post("/ari/bridges/{id}/removeChannel", self.remove_channel),
            web.post("/ari/bridges/{id}/play", self.play_on_bridge),
            web.post("/ari/bridges/{id}/moh", self.start_bridge_moh),
            web.delete("/ari/bridges/{id}/moh", self.stop_bridge_moh),
            web.get("/ari/asterisk/config/dynamic/{class}/{type}/{id}", self.get_config_object),
            web.put("/ari/asterisk/config/dynamic/{class}/{type}/{id}", self.put_config_object),
            web.delete("/ari/asterisk/config/dynamic/{class}/{type}/{id}", self.delete_config_object),
            web.post("/ari/bridges/{id}/record", self.record_bridge),
            web.post("/ari/channels/{id}/record", self.record_channel),
            web.get("/ari/recordings/live/{name}", self.get_live_recording),
            web.post("/ari/recordings/live/{name}/stop", self.stop_recording),
            web.get("/ari/recordings/stored", self.list_stored_recordings),
            web.get("/ari/recordings/stored/{name}", self.get_stored_recording),
            web.delete("/ari/recordings/stored/{name}", self.delete_stored_recording),
            web.get("/ari/recordings/stored/{name}/file", self.stored_recording_file),
            web.post("/_sim/recordings", self.sim_stored_recording),
            web.post("/_sim/recordings/{name}/truncate", self.sim_truncate_recording),
            web.post("/_sim/calls", self.sim_incoming_call),
            web.post("/_sim/channels/{id}/dtmf", self.sim_press),
            web.post("/_sim/channels/{id}/talk", self.sim_talk),
            web.post("/_sim/channels/{id}/hangup", self.sim_phone_hangup),
            web.post("/_sim/channels/{id}/hold", self.sim_phone_hold),
            web.post("/_sim/drop", self.sim_drop),
            web.post("/_sim/delay", self.sim_delay),
        ]

    # ------------------------------------------------------------------
    # Authentication, events
    # ------------------------------------------------------------------

    def _authorized(self, request):
        api_key = request.query.get("api_key")
        if api_key is not None:
            return hmac.compare_digest(api_key.encode(), f"{self.user}:{self.password}".encode())
        header = request.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return False
        try:
            credentials = base64.b64decode(header[6:]).decode()
        except ValueError:
            return False
        return hmac.compare_digest(credentials.encode(), f"{self.user}:{self.password}".encode())

    @web.middleware
    async def _auth_middleware(self, request, handler):
        if not self._authorized(request):
            raise AriError(401, "Authentication required")
        self.requests.append((request.method, request.path, time.monotonic()))
        if self.delay and request.path.startswith("/ari/") and request.path != "/ari/events":
            await asyncio.sleep(self.delay)
        return await handler(request)

    async def events(self, request):
        app = request.query.get("app")
        if not app:
            raise AriError(400, "Missing required parameter app")
        socket = web.WebSocketResponse(heartbeat=None)
        await socket.prepare(request)
        for name in app.split(","):
            await self._replace_sockets(name)
            self.sockets.setdefault(name, set()).add(socket)
        try:
            async for message in socket:
                if message.type == WSMsgType.ERROR:
                    break
        finally:
            for name in app.split(","):
                self.sockets.get(name, set()).discard(socket)
        return socket

    async def _replace_sockets(self, app):
        """The newest websocket of an application takes its events: the previous ones get ApplicationReplaced
        and nothing after it, and stay open."""
        replaced = self.sockets.pop(app, set())
        event = json.dumps({"type": "ApplicationReplaced", "timestamp": _now(), "application": app})
        for socket in replaced:
            with contextlib.suppress(ConnectionError, RuntimeError):
                await socket.send_str(event)

    async def _emit(self, app, kind, **payload):
        event = {**payload, "type": kind, "timestamp": _now(), "asterisk_id": "02:00:5e:00:53:01", "application": app}
        data = json.dumps(event)
        for socket in list(self.sockets.get(app, ())):
            with contextlib.suppress(ConnectionError, RuntimeError):
                await socket.send_str(data)

    async def _emit_channel(self, channel, kind, **payload):
        await self._emit(channel.app, kind, channel=channel.as_json(), **payload)

    async def _drop_sockets(self):
        for sockets in self.sockets.values():
            for socket in list(sockets):
                await socket.close()

    # ------------------------------------------------------------------
    # Asterisk, endpoints, user events
    # ------------------------------------------------------------------

    async def asterisk_info(self, request):
        return web.json_response(
            {
                "system": {"version": ASTERISK_VERSION, "entity_id": "02:00:5e:00:53:01"},
                "build": {"os": "Linux"},
                "status": {"startup_time": datetime.fromtimestamp(self._epoch, timezone.utc).isoformat()},
            }
        )

    async def list_endpoints(self, request):
        endpoints = [
            {"technology": "PJSIP", "resource": number, "state": "online", "channel_ids": []}
            for number in sorted(self.endpoints)
        ]
        return web.json_response(endpoints)

    async def user_event(self, request):
        app = request.query.get("application")
        if not app:
            raise AriError(400, "Missing required parameter application")
        body = await _json_body(request)
        await self._emit(
            app, "ChannelUserevent", eventname=request.match_info["name"], userevent=body.get("variables", {})
        )
        return web.Response(status=204)

    # ------------------------------------------------------------------
    # Channels
    # ------------------------------------------------------------------

    def _new_id(self):
        return f"{self._epoch}.{next(self._ids)}"

    def _channel(self, request):
        channel = self.channels.get(request.match_info["id"])
        if not channel:
            raise AriError(404, "Channel not found")
        return channel

    async def list_channels(self, request):
        return web.json_response([channel.as_json() for channel in self.channels.values()])

    async def get_channel(self, request):
        return web.json_response(self._channel(request).as_json())

    async def originate(self, request):
        query = request.query
        endpoint, app = query.get("endpoint"), query.get("app")
        if not endpoint:
            raise AriError(400, "Endpoint must be specified")
        if not app:
            raise AriError(400, "Application or extension must be specified")
        number = _endpoint_number(endpoint)
        if number is None:
            return web.json_response({"error": "Allocation failed"}, status=500)
        channel_id = query.get("channelId") or self._new_id()
        self.originated.append(channel_id)
        if channel_id in self.channels:
            raise AriError(409, "Channel with given unique ID already exists")
        context = _endpoint_context(endpoint)
        if context in (OUTAGE_DRAIN_CONTEXT, OUTAGE_FORGET_CONTEXT):
            return await self._originate_outage_context(context, number, channel_id, app)
        caller_name, caller_number = _parse_caller_id(query.get("callerId", ""))
        channel = Channel(channel_id, f"{endpoint}-{next(self._ids):08x}", app, caller_name, caller_number, number)
        channel.args = [arg for arg in query.get("appArgs", "").split(",") if arg] if query.get("appArgs") else []
        self.channels[channel_id] = channel
        behaviour = self.endpoints.get(number, DEFAULT_BEHAVIOUR)
        self._spawn(self._ring(channel, behaviour, float(query.get("timeout", 30))))
        return web.json_response(channel.as_json())

    async def _ring(self, channel, behaviour, timeout):
        await asyncio.sleep(0.02)
        if "fails" in behaviour:
            await self._destroy(channel, int(behaviour["fails"]))
            return
        await self._set_state(channel, "Ringing")
        if behaviour.get("busy"):
            await asyncio.sleep(0.1)
            await self._destroy(channel, 17)
            return
        answer_after = None if behaviour.get("no_answer") else behaviour.get("answer_after", 0.5)
        if answer_after is None or answer_after >= timeout:
            await asyncio.sleep(timeout)
            await self._destroy(channel, 19)
            return
        await asyncio.sleep(answer_after)
        if channel.id not in self.channels:
            return
        await self._set_state(channel, "Up")
        await self._enter_stasis(channel)

    async def _set_state(self, channel, state):
        if channel.id in self.channels and channel.state != state:
            channel.state = state
            await self._emit_channel(channel, "ChannelStateChange")

    def _app_active(self, app):
        return bool(self.sockets.get(app))

    async def _enter_stasis(self, channel):
        if not self._app_active(channel.app):
            # Asterisk: "Stasis app '<app>' not active": the answered channel is hung up, nobody hears of it.
            await self._destroy(channel, 16)
            return
        channel.in_stasis = True
        await self._emit_channel(channel, "StasisStart", args=list(channel.args))

    async def _destroy(self, channel, cause=16, soft=False):
        if self.channels.pop(channel.id, None) is None:
            return
        self.local_halves.pop(f"{channel.id};2", None)
        is_snoop = channel.snoop_of is not None
        request = {"cause": 32, "soft": True} if soft else {"cause": cause}
        if soft or not is_snoop:
            # A snoop channel ends without a hang-up request when the channel it snoops on goes.
            await self._emit_channel(channel, "ChannelHangupRequest", **request)
        for playback_id in list(channel.playbacks):
            task, playback = channel.playbacks.pop(playback_id)
            task.cancel()
            await self._emit(channel.app, "PlaybackFinished", playback={**playback, "state": "failed"})
        if channel.bridge_id in self.bridges:
            await self._leave_bridge(channel, self.bridges[channel.bridge_id])
        for recording in [r for r in self.live_recordings.values() if r.channel_id == channel.id]:
            await self._finish_recording(recording, channel.app, announce=True)
        if channel.in_stasis:
            channel.in_stasis = False
            await self._emit_channel(channel, "StasisEnd")
        for snoop in [other for other in list(self.channels.values()) if other.snoop_of == channel.id]:
            await self._destroy(snoop, cause)
        if not is_snoop:
            # Asterisk sends the application no ChannelDestroyed of a snoop channel.
            await self._emit_channel(channel, "ChannelDestroyed", cause=cause, cause_txt=CAUSES.get(cause, "Unknown"))

    async def hangup(self, request):
        await self._destroy(self._channel(request), 16, soft=True)
        return web.Response(status=204)

    async def answer(self, request):
        channel = self._channel(request)
        await self._set_state(channel, "Up")
        return web.Response(status=204)

    def _direction(self, request):
        direction = request.query.get("direction")
        if direction not in ("in", "out", "both"):
            raise AriError(400, "Direction is required")
        return direction

    async def mute(self, request):
        channel = self._channel(request)
        if self._direction(request) in ("in", "both"):
            channel.muted_in = True
            if channel.talking:
                await self._talk(channel, False)
        return web.Response(status=204)

    async def unmute(self, request):
        channel = self._channel(request)
        if self._direction(request) in ("in", "both"):
            channel.muted_in = False
        return web.Response(status=204)

    async def send_dtmf(self, request):
        self._channel(request)
        if not request.query.get("dtmf"):
            raise AriError(400, "DTMF is required")
        return web.Response(status=204)

    async def play_on_channel(self, request):
        channel = self._channel(request)
        return await self._play(request, channel.app, f"channel:{channel.id}", channel)

    async def _play(self, request, app, target_uri, channel=None):
        media = request.query.get("media")
        if not media:
            raise AriError(400, "Media must be specified")
        playback = {
            "id": request.query.get("playbackId") or str(uuid.uuid4()),
            "media_uri": media,
            "target_uri": target_uri,
            "language": "en",
            "state": "queued",
        }
        task = self._spawn(self._run_playback(app, playback, channel))
        if channel:
            channel.playbacks[playback["id"]] = (task, playback)
        return web.json_response(playback, status=201)

    async def _run_playback(self, app, playback, channel):
        await asyncio.sleep(0.01)
        await self._emit(app, "PlaybackStarted", playback={**playback, "state": "playing"})
        await asyncio.sleep(self.playback_seconds)
        if channel:
            channel.playbacks.pop(playback["id"], None)
        await self._emit(app, "PlaybackFinished", playback={**playback, "state": "done"})

    async def start_moh(self, request):
        self._channel(request).moh = True
        return web.Response(status=204)

    async def stop_moh(self, request):
        self._channel(request).moh = False
        return web.Response(status=204)

    def _controlled_channel(self, request):
        """A channel the application controls: ARI answers 409 for one that exists outside Stasis."""
        channel = self._channel(request)
        if not channel.in_stasis:
            raise AriError(409, "Channel not in Stasis application")
        return channel

    async def hold(self, request):
        self._controlled_channel(request).held = True
        return web.Response(status=204)

    async def unhold(self, request):
        self._controlled_channel(request).held = False
        return web.Response(status=204)

    async def ring(self, request):
        self._controlled_channel(request).ringback = True
        return web.Response(status=204)

    async def ring_stop(self, request):
        self._controlled_channel(request).ringback = False
        return web.Response(status=204)

    async def set_variable(self, request):
        channel = self._channel(request)
        name = request.query.get("variable")
        if not name:
            raise AriError(400, "Variable name is required")
        if name == "TALK_DETECT(set)":
            channel.talk_detect = True
        elif name == "TALK_DETECT(remove)":
            channel.talk_detect = False
        else:
            channel.variables[name] = request.query.get("value", "")
        return web.Response(status=204)

    async def snoop(self, request):
        query = request.query
        spy, whisper = query.get("spy") or "none", query.get("whisper") or "none"
        for name, direction in (("spy", spy), ("whisper", whisper)):
            if direction not in SNOOP_DIRECTIONS:
                raise AriError(400, f"Invalid direction specified for {name}")
        if spy == whisper == "none":
            raise AriError(400, "Direction must be specified for at least spy or whisper")
        if not query.get("app"):
            raise AriError(400, "Application name is required")
        snooped = self.channels.get(request.match_info["id"])
        if not snooped:
            raise AriError(404, "Provided channel was not found")
        snoop_id = query.get("snoopId") or self._new_id()
        if snoop_id in self.channels:
            raise AriError(500, "Snoop channel could not be created")
        channel = Channel(snoop_id, f"Snoop/{snooped.id}-{next(self._ids):08x}", query["app"], state="Up")
        channel.context, channel.exten = "default", "s"
        channel.snoop_of, channel.spy, channel.whisper = snooped.id, spy, whisper
        channel.args = [arg for arg in query.get("appArgs", "").split(",") if arg]
        self.channels[snoop_id] = channel
        # Asterisk answers once the channel exists and runs Stasis on it in a thread of its own.
        self._spawn(self._enter_stasis(channel))
        return web.json_response(channel.as_json())

    # ------------------------------------------------------------------
    # Bridges
    # ------------------------------------------------------------------

    def _bridge(self, request):
        bridge = self.bridges.get(request.match_info["id"])
        if not bridge:
            raise AriError(404, "Bridge not found")
        return bridge

    async def list_bridges(self, request):
        return web.json_response([bridge.as_json() for bridge in self.bridges.values()])

    async def get_bridge(self, request):
        return web.json_response(self._bridge(request).as_json())

    async def create_bridge(self, request):
        bridge_id = request.match_info.get("id") or request.query.get("bridgeId") or str(uuid.uuid4())
        bridge = self.bridges.get(bridge_id)
        if not bridge:
            bridge = self.bridges[bridge_id] = Bridge(bridge_id, request.query.get("name", ""))
        return web.json_response(bridge.as_json())

    async def destroy_bridge(self, request):
        bridge = self._bridge(request)
        # Asterisk 22.10.1 sent no RecordingFinished (2 runs in 3) for a bridge one party had already left.
        await self._finish_recordings(bridge, announce=len(bridge.channels) >= 2)
        for channel_id in list(bridge.channels):
            await self._leave_bridge(self.channels[channel_id], bridge)
        del self.bridges[bridge.id]
        return web.Response(status=204)

    def _bridged_channel(self, request):
        channel = self.channels.get(request.query.get("channel", ""))
        if not channel:
            raise AriError(400, "Channel not found")
        if not channel.in_stasis:
            raise AriError(422, "Channel not in Stasis application")
        return channel

    async def add_channel(self, request):
        bridge, channel = self._bridge(request), self._bridged_channel(request)
        if channel.bridge_id == bridge.id:
            return web.Response(status=204)
        if channel.bridge_id in self.bridges:
            await self._leave_bridge(channel, self.bridges[channel.bridge_id])
        channel.bridge_id = bridge.id
        bridge.channels.append(channel.id)
        self._recording_audio(bridge)
        await self._emit_channel(channel, "ChannelEnteredBridge", bridge=bridge.as_json())
        return web.Response(status=204)

    async def remove_channel(self, request):
        bridge, channel = self._bridge(request), self._bridged_channel(request)
        if channel.bridge_id != bridge.id:
            raise AriError(422, "Channel not in this bridge")
        await self._leave_bridge(channel, bridge)
        return web.Response(status=204)

    async def _leave_bridge(self, channel, bridge):
        if channel.id in bridge.channels:
            bridge.channels.remove(channel.id)
            channel.bridge_id = None
            if channel.talking:
                await self._talk(channel, False)
            self._recording_audio(bridge)
            await self._emit_channel(channel, "ChannelLeftBridge", bridge=bridge.as_json())
            if not bridge.channels and bridge.id in self.bridges:
                await self._finish_recordings(bridge, announce=True)

    async def start_bridge_moh(self, request):
        self._bridge(request).moh = True
        return web.Response(status=204)

    async def stop_bridge_moh(self, request):
        self._bridge(request).moh = False
        return web.Response(status=204)

    async def play_on_bridge(self, request):
        bridge = self._bridge(request)
        apps = {self.channels[channel_id].app for channel_id in bridge.channels if channel_id in self.channels}
        return await self._play(request, next(iter(apps), ""), f"bridge:{bridge.id}")

    # ------------------------------------------------------------------
    # Recordings
    # ------------------------------------------------------------------

    def _new_recording(self, request, target_uri, **target):
        name, file_format = request.query.get("name"), request.query.get("format")
        if not name:
            raise AriError(500, "Error parsing request")
        if not file_format:
            raise AriError(400, "format is required")
        if file_format not in RECORDING_FORMATS:
            raise AriError(422, "specified format is unknown on this system")
        exists = name in self.live_recordings or name in self.stored_recordings
        if exists and request.query.get("ifExists", "fail") == "fail":
            raise AriError(409, f"Recording '{name}' already exists and can not be overwritten")
        recording = self.live_recordings[name] = LiveRecording(name, target_uri, **target)
        return recording

    async def record_bridge(self, request):
        bridge = self._bridge(request)
        recording = self._new_recording(request, f"bridge:{bridge.id}", bridge_id=bridge.id)
        apps = [self.channels[channel_id].app for channel_id in bridge.channels if channel_id in self.channels]
        # An empty bridge records too, but no application follows it to hear of it.
        self._spawn(self._start_recording(recording, apps[0] if apps else None))
        return web.json_response(recording.as_json(), status=201)

    async def record_channel(self, request):
        channel = self._channel(request)
        recording = self._new_recording(request, f"channel:{channel.id}", channel_id=channel.id)
        if channel.bridge_id:
            self._spawn(self._fail_recording(recording, channel.app, "Cannot record channel while in bridge"))
        else:
            self._spawn(self._start_recording(recording, channel.app))
        return web.json_response(recording.as_json(), status=201)

    async def _start_recording(self, recording, app):
        await asyncio.sleep(RECORDING_START_SECONDS)
        if self.live_recordings.get(recording.name) is not recording:
            return
        recording.state = "recording"
        bridge = self.bridges.get(recording.bridge_id)
        recording.audio(len(bridge.channels) >= 2 if bridge else recording.channel_id in self.channels)
        if app:
            await self._emit(app, "RecordingStarted", recording=recording.as_json())

    async def _fail_recording(self, recording, app, cause):
        await asyncio.sleep(RECORDING_START_SECONDS)
        self.live_recordings.pop(recording.name, None)
        await self._emit(app, "RecordingFailed", recording={**recording.as_json(), "state": "failed", "cause": cause})

    def _recording_audio(self, bridge):
        for recording in self.live_recordings.values():
            if recording.bridge_id == bridge.id and recording.state == "recording":
                recording.audio(len(bridge.channels) >= 2)

    async def _finish_recordings(self, bridge, announce):
        apps = [self.channels[channel_id].app for channel_id in bridge.channels if channel_id in self.channels]
        for recording in [r for r in self.live_recordings.values() if r.bridge_id == bridge.id]:
            await self._finish_recording(recording, apps[0] if apps else None, announce)

    async def _finish_recording(self, recording, app, announce):
        recording.audio(False)
        self.live_recordings.pop(recording.name, None)
        self.stored_recordings[recording.name] = StoredRecording(recording.seconds)
        if announce and app:
            finished = {**recording.as_json(), "state": "done", "duration": int(recording.seconds)}
            await self._emit(app, "RecordingFinished", recording=finished)

    def _live_recording(self, request):
        recording = self.live_recordings.get(request.match_info["name"])
        if not recording:
            raise AriError(404, "Recording not found")
        return recording

    def _stored_recording(self, request):
        recording = self.stored_recordings.get(request.match_info["name"])
        if not recording:
            raise AriError(404, "Recording not found")
        return recording

    async def get_live_recording(self, request):
        return web.json_response(self._live_recording(request).as_json())

    async def stop_recording(self, request):
        recording = self._live_recording(request)
        if recording.bridge_id in self.bridges:
            bridge = self.bridges[recording.bridge_id]
            apps = [self.channels[channel_id].app for channel_id in bridge.channels if channel_id in self.channels]
            app = apps[0] if apps else None
        else:
            app = self.channels[recording.channel_id].app if recording.channel_id in self.channels else None
        await self._finish_recording(recording, app, announce=True)
        return web.Response(status=204)

    async def list_stored_recordings(self, request):
        return web.json_response([{"name": name, "format": "wav"} for name in self.stored_recordings])

    async def get_stored_recording(self, request):
        self._stored_recording(request)
        return web.json_response({"name": request.match_info["name"], "format": "wav"})

    async def delete_stored_recording(self, request):
        self._stored_recording(request)
        del self.stored_recordings[request.match_info["name"]]
        return web.Response(status=204)

    async def stored_recording_file(self, request):
        data = self._stored_recording(request).wav()
        return web.Response(body=data, content_type="audio/wav", headers={"Cache-Control": "no-cache, no-store"})

    # ------------------------------------------------------------------
    # Talking
    # ------------------------------------------------------------------

    async def _talk(self, channel, talking):
        if talking and (channel.muted_in or not channel.talk_detect):
            return False
        if channel.talking == talking:
            return False
        channel.talking = talking
        if talking:
            channel.talk_started = time.monotonic()
            await self._emit_channel(channel, "ChannelTalkingStarted")
        else:
            duration = int((time.monotonic() - getattr(channel, "talk_started", time.monotonic())) * 1000)
            await self._emit_channel(channel, "ChannelTalkingFinished", duration=duration)
        return True

    async def _random_talk(self):
        while True:
            await asyncio.sleep(random.uniform(1.0, 3.0))
            bridged = [channel for channel in self.channels.values() if channel.bridge_id and channel.talk_detect]
            for channel in bridged:
                if channel.talking:
                    await self._talk(channel, False)
            if bridged:
                await self._talk(random.choice(bridged), True)

    # ------------------------------------------------------------------
    # Listener outages: the README's dialplan around Stasis()
    # ------------------------------------------------------------------

    async def _outage_fallback(self, channel, talk_seconds):
        """Play the README's dialplan for a caller Stasis() refused: Dial the dialled extension (or the
        fallback phone), and at hang-up record the call in astdb as telephony-outage-record does."""
        channel.app = ""  # outside the application: none of its events reach a listener
        channel.context = "telephony-outage"
        started = int(time.time())
        behaviour = self.endpoints.get(channel.exten, DEFAULT_BEHAVIOUR)
        answered_seconds = ""
        if behaviour.get("busy"):
            status = "BUSY"
        elif behaviour.get("no_answer"):
            status = "NOANSWER"
        else:
            await asyncio.sleep(behaviour.get("answer_after", 0.5))
            status = "ANSWER"
            await self._set_state(channel, "Up")
            await asyncio.sleep(talk_seconds)
            answered_seconds = str(round(talk_seconds))
        await self._destroy(channel, 16)
        record = [started, int(time.time()), channel.caller["number"], channel.exten, status, answered_seconds]
        self.astdb[f"{OUTAGE_FAMILY}/{channel.id}"] = ",".join(map(str, record))

    async def _originate_outage_context(self, context, key, channel_id, app):
        """``Local/drain@telephony-outage-drain`` lists the outage records on its ``;2`` half and enters the
        application; ``Local/<key>@telephony-outage-forget`` deletes one record and never answers."""
        channel = Channel(channel_id, f"Local/{key}@{context}-{next(self._ids):08x};1", app, exten=key)
        if context == OUTAGE_FORGET_CONTEXT:
            self.astdb.pop(f"{OUTAGE_FAMILY}/{key}", None)
            return web.json_response(channel.as_json())
        records = "".join(
            f"{name.removeprefix(OUTAGE_FAMILY + '/')}={value}|"
            for name, value in self.astdb.items()
            if name.startswith(OUTAGE_FAMILY + "/")
        )
        self.channels[channel_id] = channel
        self.local_halves[f"{channel_id};2"] = {"TELEPHONY_OUTAGE": records}
        self._spawn(self._ring(channel, {"answer_after": 0.01}, 60))
        return web.json_response(channel.as_json())

    async def get_variable(self, request):
        channel_id = request.match_info["id"]
        name = request.query.get("variable")
        if not name:
            raise AriError(400, "Variable name is required")
        if channel_id in self.local_halves:
            return web.json_response({"value": self.local_halves[channel_id].get(name, "")})
        if name.startswith(DANGEROUS_FUNCTIONS):
            raise AriError(500, "Unable to read provided function")
        return web.json_response({"value": self._channel(request).variables.get(name, "")})

    # ------------------------------------------------------------------
    # Dynamic configuration
    # ------------------------------------------------------------------

    def _config_key(self, request):
        config_class, object_type = request.match_info["class"], request.match_info["type"]
        if config_class != "res_pjsip":
            raise AriError(404, f"configClass '{config_class}' not found")
        if object_type not in PJSIP_FIELDS:
            raise AriError(404, f"objectType '{object_type}' not found")
        return object_type, request.match_info["id"]

    def _config_fields(self, key):
        if key not in self.config_objects or (key[0] == "endpoint" and "allow" not in self.config_objects[key]):
            raise AriError(404, f"Object with id '{key[1]}' not found")
        return [{"attribute": name, "value": value} for name, value in self.config_objects[key].items()]

    async def get_config_object(self, request):
        return web.json_response(self._config_fields(self._config_key(request)))

    async def put_config_object(self, request):
        key = self._config_key(request)
        if key in self.static_config:
            raise AriError(403, f"Cannot update sorcery objects of type '{key[0]}'")
        fields = {item["attribute"]: item["value"] for item in (await _json_body(request)).get("fields") or []}
        if set(fields) - PJSIP_FIELDS[key[0]]:
            raise AriError(400, f"Creation of object '{key[1]}' failed field value validation")
        self.config_objects[key] = fields
        return web.json_response([{"attribute": name, "value": value} for name, value in fields.items()])

    async def delete_config_object(self, request):
        key = self._config_key(request)
        if key in self.static_config:
            raise AriError(403, f"Could not delete object with id '{key[1]}'")
        self._config_fields(key)
        del self.config_objects[key]
        return web.Response(status=204)

    # ------------------------------------------------------------------
    # Simulator-only controls
    # ------------------------------------------------------------------

    async def sim_incoming_call(self, request):
        dialled = request.query.get("dialled", "")
        app = request.query.get("app", "telephony")
        caller_name, caller_number = request.query.get("caller_name", ""), request.query.get("caller", "")
        endpoint = request.query.get("endpoint", "trunk")
        channel = Channel(
            self._new_id(),
            f"PJSIP/{endpoint}-{next(self._ids):08x}",
            app,
            caller_name,
            caller_number,
            dialled,
            state="Ring",
        )
        channel.args = [dialled]
        self.channels[channel.id] = channel
        if not self._app_active(app):
            self._spawn(self._outage_fallback(channel, float(request.query.get("talk", 0.5))))
            return web.json_response({**channel.as_json(), "stasis_status": "FAILED"})
        await self._enter_stasis(channel)
        return web.json_response(channel.as_json())

    async def sim_press(self, request):
        channel = self._channel(request)
        for digit in request.query.get("digits", ""):
            await self._emit_channel(channel, "ChannelDtmfReceived", digit=digit, duration_ms=100)
        return web.Response(status=204)

    async def sim_talk(self, request):
        channel = self._channel(request)
        changed = await self._talk(channel, request.query.get("talking", "1") not in ("0", "false"))
        return web.json_response({"changed": changed})

    async def sim_phone_hangup(self, request):
        await self._destroy(self._channel(request), 16)
        return web.Response(status=204)

    async def sim_phone_hold(self, request):
        channel = self._channel(request)
        on_hold = request.query.get("on", "1") not in ("0", "false")
        if channel.phone_on_hold != on_hold:
            channel.phone_on_hold = on_hold
            await self._emit_channel(channel, "ChannelHold" if on_hold else "ChannelUnhold")
        return web.Response(status=204)

    async def sim_stored_recording(self, request):
        self.stored_recordings[request.query["name"]] = StoredRecording(float(request.query.get("seconds", 1)))
        return web.Response(status=204)

    async def sim_truncate_recording(self, request):
        self._stored_recording(request).served_size = int(request.query["size"])
        return web.Response(status=204)

    async def sim_drop(self, request):
        await self._drop_sockets()
        return web.Response(status=204)

    async def sim_delay(self, request):
        self.delay = float(request.query.get("seconds", 0))
        return web.Response(status=204)


async def _json_body(request):
    if not request.can_read_body:
        return {}
    try:
        return await request.json()
    except ValueError as error:
        raise AriError(400, "Body is not valid JSON") from error


def _endpoint_number(endpoint):
    """``PJSIP/101`` -> ``101``; ``Local/+3361@from-internal`` -> ``+3361``; unknown technology -> None."""
    technology, _, resource = endpoint.partition("/")
    if technology not in ("PJSIP", "SIP", "Local", "IAX2") or not resource:
        return None
    return resource.split("@", 1)[0]


def _endpoint_context(endpoint):
    """``Local/drain@telephony-outage-drain`` -> ``telephony-outage-drain``; no context -> ``""``."""
    return endpoint.partition("@")[2]


def _parse_caller_id(caller_id):
    """``"Conference" <800>`` -> (``Conference``, ``800``); ``"Conference"`` -> (``Conference``, ``""``)."""
    caller_id = caller_id.strip()
    if "<" in caller_id and caller_id.endswith(">"):
        name, _, number = caller_id[:-1].partition("<")
        return name.strip().strip('"'), number.strip()
    if caller_id.startswith('"') or not all(char.isdigit() or char in "+*#" for char in caller_id):
        return caller_id.strip('"'), ""
    return "", caller_id


def main(argv=None):
    parser = argparse.ArgumentParser(description="ARI-speaking PBX simulator on loopback.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8088)
    parser.add_argument("--user", default="telephony")
    parser.add_argument("--password", default="telephony")
    parser.add_argument(
        "--endpoints",
        help='JSON file: {"101": {"answer_after": 1.5}, "486": {"busy": true}, "408": {"no_answer": true}}',
    )
    parser.add_argument("--demo", action="store_true", help="make bridged participants talk at random")
    parser.add_argument("--playback-seconds", type=float, default=PLAYBACK_SECONDS, help="how long a prompt plays")
    options = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    endpoints = None
    if options.endpoints:
        with open(options.endpoints, encoding="utf-8") as handle:
            endpoints = json.load(handle)
    Simulator(
        options.host,
        options.port,
        options.user,
        options.password,
        endpoints,
        options.demo,
        playback_seconds=options.playback_seconds,
    ).serve_forever()


if __name__ == "__main__":
    main()
