"""Call recording over real sockets: the ARI client against the simulator's recordings (Asterisk 22's behaviour,
see its docstring), and the call router recording calls by policy, on demand, across a transfer and a restart."""

import io
import time
import uuid
import wave

import pytest
from router_harness import RouterHarness

from pbx.ari import PbxConflict, PbxNotFound, PbxRequestError
from pbx.calls import RECORD_ALWAYS, RECORD_ON_DEMAND, Forward, Room, recording_subject
from pbx.conference import CallRouter
from pbx.recording import RECORD_EVENT, RECORDING_ENDED_REPORT
from pbx.transfer import TRANSFER_EVENT

ANNOUNCEMENT = "sound:conf-now-recording"


def wav_seconds(data):
    with wave.open(io.BytesIO(data)) as audio:
        assert (audio.getnchannels(), audio.getsampwidth(), audio.getframerate()) == (1, 2, 8000)
        return audio.getnframes() / audio.getframerate()


@pytest.fixture
def two_party_bridge(pbx, client, events):
    """Two answered channels talking in a bridge of their own, as the router leaves a connected call."""
    legs = []
    for _ in range(2):
        leg = f"rec-{uuid.uuid4().hex[:8]}"
        client.originate(pbx.endpoint("answers"), channel_id=leg)
        events.wait_for("StasisStart", leg)
        legs.append(leg)
    bridge_id = f"call-{legs[0]}"
    client.create_bridge(bridge_id)
    for leg in legs:
        client.add_channel(bridge_id, leg)
    yield bridge_id, legs
    client.destroy_bridge_if_present(bridge_id)
    for leg in legs:
        client.hangup_if_present(leg)
    for name in ("rec-stop", "rec-twice", "rec-one-leg", "rec-silent-end"):
        client.delete_stored_recording(name)


def test_a_bridge_is_recorded_until_stopped_and_its_file_is_the_wav_of_that_time(client, events, two_party_bridge):
    bridge_id, _legs = two_party_bridge
    live = client.record_bridge(bridge_id, "rec-stop")
    assert live == {"name": "rec-stop", "format": "wav", "state": "queued", "target_uri": f"bridge:{bridge_id}"}
    started = events.wait_for("RecordingStarted")["recording"]
    assert started["state"] == "recording" and started["name"] == "rec-stop"
    assert client.get_live_recording("rec-stop")["state"] == "recording"
    time.sleep(1.2)
    assert client.stop_recording("rec-stop") is True
    finished = events.wait_for("RecordingFinished")["recording"]
    assert finished["state"] == "done" and finished["duration"] == 1
    assert client.stop_recording("rec-stop") is False, "a second stop finds nothing live"
    data = client.stored_recording_file("rec-stop")
    assert 1.1 <= wav_seconds(data) <= 2.0
    assert client.delete_stored_recording("rec-stop") is True
    with pytest.raises(PbxNotFound):
        client.stored_recording_file("rec-stop")
    assert client.delete_stored_recording("rec-stop") is False


def test_recording_refusals_say_why(client, events, two_party_bridge):
    bridge_id, legs = two_party_bridge
    client.record_bridge(bridge_id, "rec-twice")
    with pytest.raises(PbxConflict, match="already exists"):
        client.record_bridge(bridge_id, "rec-twice")
    with pytest.raises(PbxNotFound, match="Bridge not found"):
        client.record_bridge("no-such-bridge", "rec-nowhere")
    client.record_channel(legs[0], "rec-one-leg")
    failed = events.wait_for("RecordingFailed")["recording"]
    assert failed["cause"] == "Cannot record channel while in bridge"


def test_a_bridge_destroyed_after_one_party_left_ends_its_recording_maybe_without_an_event(
    pbx, client, events, two_party_bridge
):
    bridge_id, legs = two_party_bridge
    client.record_bridge(bridge_id, "rec-silent-end")
    events.wait_for("RecordingStarted")
    client.hangup(legs[0])
    events.wait_for("StasisEnd", legs[0])
    client.destroy_bridge(bridge_id)
    time.sleep(0.3)
    if pbx.is_simulator:
        # Asterisk 22.10.1 sent RecordingFinished here once in three runs: the simulator plays the worst case.
        assert not events.of("RecordingFinished")
    assert client.get_live_recording("rec-silent-end") is None
    assert client.stored_recording_file("rec-silent-end")[:4] == b"RIFF"


def test_a_truncated_file_is_served_as_the_pbx_has_it(pbx, client, simulated_phone):
    pbx.control("recordings", name="rec-cut", seconds=2)
    assert wav_seconds(client.stored_recording_file("rec-cut")) == 2
    pbx.control("recordings/rec-cut/truncate", size=1000)
    assert len(client.stored_recording_file("rec-cut")) == 1000


def test_an_unreachable_pbx_is_a_clear_error(pbx):
    from pbx.ari import AriClient, PbxUnreachable

    client = AriClient("http://127.0.0.1:9", "telephony", "telephony", timeout=1)
    with pytest.raises(PbxUnreachable, match="cannot be reached"):
        client.stored_recording_file("anything")
    assert isinstance(PbxUnreachable("x"), Exception) and not issubclass(PbxUnreachable, PbxRequestError)


class Routed(RouterHarness):
    """The router recording calls to 101 and 102 by ``policy``, and the events it handled."""

    def __init__(self, pbx, policy, announcement=ANNOUNCEMENT):
        self.policy, self.announcement = policy, announcement
        self.events = []
        super().__init__(pbx, ring_seconds=2)

    def route(self, dialled, caller, outbound):
        if dialled == "8001":
            return self.room
        if dialled in ("101", "102"):
            return Forward(f"PJSIP/{dialled}", "", recording=self.policy, announcement=self.announcement)
        return None

    def on_event(self, event):
        with self.lock:
            self.events.append(event)
            self.router.handle(event)

    def connected_call(self):
        channel_id = self.pbx.control("calls", dialled="101", caller="+33612345678")["id"]
        self.wait(lambda: self.bridge_of(f"{channel_id}-peer") == f"call-{channel_id}", "the call connected")
        return channel_id

    def live(self):
        return dict(self.pbx.simulator.live_recordings)

    def of(self, kind):
        with self.lock:
            return [event for event in self.events if event.get("type") == kind]

    def ended(self):
        return [r["recording"]["name"] for r in self.reports if r["type"] == RECORDING_ENDED_REPORT]


@pytest.fixture
def routed(pbx, simulated_phone):
    created = []

    def make(policy, announcement=ANNOUNCEMENT):
        created.append(Routed(pbx, policy, announcement))
        return created[-1]

    yield make
    for routed in created:
        routed.stop()


def test_an_always_recorded_call_is_announced_then_recorded_under_its_key_until_it_ends(routed, pbx):
    router = routed(RECORD_ALWAYS)
    key = router.connected_call()
    router.wait(lambda: router.live(), "the recording started")
    played = router.of("PlaybackStarted")
    assert played and played[0]["playback"]["target_uri"] == f"bridge:call-{key}"
    assert played[0]["playback"]["media_uri"] == ANNOUNCEMENT
    assert router.of("PlaybackFinished"), "the recording waits for the announcement's end"
    (name,) = router.live()
    assert recording_subject(name) == key
    pbx.control(f"channels/{key}/hangup")
    router.wait(lambda: router.ended() == [name], "the end of the recording reported")
    assert name in pbx.simulator.stored_recordings and not router.live()


def test_without_an_announcement_recording_starts_with_the_bridge(routed):
    router = routed(RECORD_ALWAYS, announcement="")
    router.connected_call()
    router.wait(lambda: router.live(), "the recording started")
    assert not router.of("PlaybackStarted")


def test_a_call_with_no_recording_policy_is_not_recorded(routed):
    router = routed("")
    router.connected_call()
    time.sleep(0.5)
    assert not router.live() and not router.of("PlaybackStarted")


def test_on_demand_recording_starts_and_stops_when_odoo_asks(routed):
    router = routed(RECORD_ON_DEMAND)
    key = router.connected_call()
    time.sleep(0.3)
    assert not router.live(), "on demand: nothing is recorded before the user asks"
    router.client.user_event(RECORD_EVENT, {"channel": f"{key}-peer", "call": key, "record": "1", "announcement": ""})
    router.wait(lambda: router.live(), "the recording started")
    (name,) = router.live()
    router.client.user_event(RECORD_EVENT, {"channel": f"{key}-peer", "call": key, "record": "0", "name": ""})
    router.wait(lambda: router.ended() == [name], "the stop reported")
    assert not router.live()


def test_a_recording_goes_on_after_a_restart_and_is_stopped_by_name(routed):
    router = routed(RECORD_ALWAYS, announcement="")
    key = router.connected_call()
    router.wait(lambda: router.live(), "the recording started")
    (name,) = router.live()
    router.stop()
    again = routed(RECORD_ALWAYS, announcement="")
    assert name in again.live(), "the PBX records on while no listener is there"
    again.client.user_event(RECORD_EVENT, {"channel": f"{key}-peer", "call": key, "record": "0", "name": name})
    again.wait(lambda: again.ended() == [name], "the stop reported")
    assert not again.live()


def test_a_blind_transfer_keeps_recording_the_same_conversation(routed):
    router = routed(RECORD_ALWAYS, announcement="")
    key = router.connected_call()
    router.wait(lambda: router.live(), "the recording started")
    (name,) = router.live()
    router.client.user_event(
        TRANSFER_EVENT,
        {"channel": f"{key}-peer", "call": key, "mode": "blind", "target": "102", "extension": "101", "consult": ""},
    )
    bridge = router.pbx.simulator.bridges[f"call-{key}"]
    router.wait(lambda: any("-xfer-" in channel for channel in bridge.channels), "the target took the call")
    assert f"{key}-peer" not in router.pbx.simulator.channels
    assert list(router.live()) == [name] and not router.ended()


def test_a_room_session_is_recorded_once_under_the_room_bridge(routed, pbx):
    router = routed("")
    room_bridge = f"telephony-test-{uuid.uuid4().hex[:6]}-7"
    router.room = Room(key=7, bridge_id=room_bridge, recording=RECORD_ALWAYS, announcement="")
    first = pbx.control("calls", dialled="8001", caller="201")["id"]
    router.wait(lambda: router.bridge_of(first) == room_bridge, "the first caller is in the room")
    second = pbx.control("calls", dialled="8001", caller="202")["id"]
    router.wait(lambda: router.bridge_of(second) == room_bridge, "the second caller is in the room")
    router.wait(lambda: router.live(), "the room is recorded")
    (name,) = router.live()
    assert recording_subject(name) == room_bridge
    pbx.control(f"channels/{first}/hangup")
    time.sleep(0.3)
    assert list(router.live()) == [name], "the room's session goes on with one caller"
    pbx.control(f"channels/{second}/hangup")
    router.wait(lambda: router.ended() == [name], "the session's end reported")


def test_a_call_placed_into_the_application_is_announced_recorded_and_its_file_lasts_the_recording(pbx, client):
    """Also on a real Asterisk (TELEPHONY_ARI_URL): a channel of the PBX's own enters with what it dialled, the
    router rings the other end, announces, records until the caller hangs up, and the file lasts that long."""
    reports, started = [], {}

    def route(dialled, caller, outbound):
        endpoint = pbx.endpoint("answers") if pbx.is_simulator else f"Local/{dialled}@telephony-test"
        return Forward(endpoint, "", recording=RECORD_ALWAYS, announcement=ANNOUNCEMENT)

    router = CallRouter(client, route, reports.append)

    def on_event(event):
        if event.get("type") == "RecordingStarted":
            started["at"] = time.monotonic()
        router.handle(event)

    stream = client.start_event_stream(on_event, backoff_base=0.1)
    assert stream.wait_connected(10)
    caller = f"rec-caller-{uuid.uuid4().hex[:8]}"
    try:
        client.originate(pbx.endpoint("answers"), app_args=["102"], channel_id=caller)
        deadline = time.monotonic() + 15
        while "at" not in started:
            assert time.monotonic() < deadline, "the call was not recorded"
            time.sleep(0.05)
        (name,) = router.recordings.values()
        assert recording_subject(name) == caller
        time.sleep(2)
        recorded = time.monotonic() - started["at"]
        client.hangup(caller)
        while not reports:
            assert time.monotonic() < deadline + 5, "the end of the recording was not reported"
            time.sleep(0.05)
        assert reports == [{"type": RECORDING_ENDED_REPORT, "recording": {"name": name}}]
        assert abs(wav_seconds(client.stored_recording_file(name)) - recorded) < 1
        client.delete_stored_recording(name)
    finally:
        stream.stop()
        client.hangup_if_present(caller)
