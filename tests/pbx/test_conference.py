"""The call router driving the simulator over real sockets, as the listener runs it."""

import threading
import time

import pytest

from pbx.conference import (
    DTMF_EVENT,
    PROMPT_GOODBYE,
    PROMPT_WAIT_FOR_ADMIN,
    REJECTED_EVENT,
    WAITING_EVENT,
    CallRouter,
    Forward,
    Room,
)

BOARD = Room(
    key=1,
    bridge_id="room-board",
    access_code="2468",
    wait_for_administrator=True,
    administrator_numbers=frozenset({"100"}),
)
OPEN_ROOM = Room(key=2, bridge_id="room-open")


class RoutedPbx:
    """The router fed by the event stream in its own thread, as in the listener."""

    def __init__(self, pbx, client, rooms):
        self.pbx, self.client, self.rooms = pbx, client, rooms
        self.reports = []
        self.router = CallRouter(client, self.route, self.reports.append, room_for_key=self.room_for_key)
        self.events = []
        self.lock = threading.Condition()
        self.stream = client.start_event_stream(self.on_event, backoff_base=0.1, backoff_cap=0.5)
        assert self.stream.wait_connected(10)

    def on_event(self, event):
        self.router.handle(event)
        with self.lock:
            self.events.append(event)
            self.lock.notify_all()

    def route(self, dialled, caller, outbound):
        if dialled in ("801", "802"):
            return {"801": BOARD, "802": OPEN_ROOM}[dialled]
        if dialled == "101":
            return Forward("PJSIP/101", '"Caller" <555>')
        if dialled == "102":
            return Forward("PJSIP/102", f"<{caller}>")
        return None

    def room_for_key(self, key):
        return {1: BOARD, 2: OPEN_ROOM}.get(key)

    def call_in(self, dialled, caller="+33612345678", caller_name=""):
        response = self.pbx.control("calls", dialled=dialled, caller=caller, caller_name=caller_name)
        return response["id"]

    def press(self, channel_id, digits):
        self.pbx.control(f"channels/{channel_id}/dtmf", digits=digits)

    def wait(self, predicate, timeout=10):
        deadline = time.monotonic() + timeout
        with self.lock:
            while not predicate():
                remaining = deadline - time.monotonic()
                assert remaining > 0, f"condition not met; events: {[e['type'] for e in self.events]}"
                self.lock.wait(remaining)

    def bridged(self, bridge_id):
        return next((b["channels"] for b in self.client.list_bridges() if b["id"] == bridge_id), [])

    def wait_bridged(self, bridge_id, channel_id):
        deadline = time.monotonic() + 10
        while channel_id not in self.bridged(bridge_id):
            assert time.monotonic() < deadline, f"{channel_id} never entered {bridge_id}"
            time.sleep(0.05)

    def ended(self, channel_id):
        return any(e["type"] == "StasisEnd" and e["channel"]["id"] == channel_id for e in self.events)

    def stop(self):
        self.stream.stop()


@pytest.fixture
def routed(pbx, client):
    if not pbx.is_simulator:
        pytest.skip("callers and keypads are simulated phones")
    routed = RoutedPbx(pbx, client, {})
    yield routed
    routed.stop()


def test_right_access_code_then_hash_lets_the_caller_in(routed):
    routed.wait(lambda: True)
    admin = routed.call_in("801", caller="100")
    routed.press(admin, "2468#")
    routed.wait_bridged("room-board", admin)
    guest = routed.call_in("801")
    routed.press(guest, "2468#")
    routed.wait_bridged("room-board", guest)


def test_three_wrong_codes_hang_up(routed):
    caller = routed.call_in("801")
    routed.press(caller, "1111#")
    routed.press(caller, "2222#")
    assert not routed.ended(caller), "two wrong codes leave the caller another try"
    routed.press(caller, "3333#")
    routed.wait(lambda: routed.ended(caller))
    assert routed.bridged("room-board") == []


def test_digits_before_the_right_code_do_not_count_as_a_try(routed):
    admin = routed.call_in("801", caller="100")
    routed.press(admin, "99#")
    routed.press(admin, "98#")
    routed.press(admin, "2468#")
    routed.wait_bridged("room-board", admin)


def test_wait_for_the_administrator(routed, pbx):
    early = routed.call_in("801")
    routed.press(early, "2468#")
    routed.wait(lambda: any(r["type"] == WAITING_EVENT for r in routed.reports))
    assert routed.reports[0]["channel"]["id"] == early and routed.reports[0]["room_key"] == 1
    routed.wait(lambda: pbx.simulator.channels[early].moh)
    assert routed.bridged("room-board") == [], "nobody uses the room before its administrator"
    admin = routed.call_in("801", caller="100")
    routed.press(admin, "2468#")
    routed.wait_bridged("room-board", early)
    assert set(routed.bridged("room-board")) == {early, admin}
    assert not pbx.simulator.channels[early].moh


def test_invited_participant_skips_the_code(routed, client, pbx):
    channel_id = "telephony-invite-test-1"
    client.originate("PJSIP/102", app_args=["invite", "2", "55"], channel_id=channel_id)
    routed.wait_bridged("room-open", channel_id)
    assert pbx.simulator.channels[channel_id].talk_detect, "talk detection is on for everyone in a room"


def test_a_channel_odoo_did_not_place_cannot_claim_to_be_invited(routed, client, pbx):
    """A dial plan that passes on what a caller typed could hand the application ["invite", room, ...]:
    only channels the application originated itself (ids it chose) may skip a room's access code."""
    client.originate("PJSIP/102", app_args=["invite", "2", "55"], channel_id="forged-invite")
    routed.wait(lambda: "forged-invite" not in pbx.simulator.channels)
    assert "forged-invite" not in routed.bridged("room-open")
    assert "forged-invite" not in routed.router.callers


def test_invited_administrator_opens_a_waiting_room(routed, client):
    early = routed.call_in("801")
    routed.press(early, "2468#")
    routed.wait(lambda: routed.reports)
    client.originate("PJSIP/103", app_args=["invite", "1", "56", "admin"], channel_id="telephony-invite-admin")
    routed.wait_bridged("room-board", early)


def test_open_room_needs_no_code(routed):
    caller = routed.call_in("802")
    routed.wait_bridged("room-open", caller)


def test_last_one_out_closes_the_bridge(routed, pbx):
    caller = routed.call_in("802")
    routed.wait_bridged("room-open", caller)
    pbx.control(f"channels/{caller}/hangup")
    deadline = time.monotonic() + 10
    while "room-open" in {b["id"] for b in routed.client.list_bridges()}:
        assert time.monotonic() < deadline, "the empty bridge is destroyed"
        time.sleep(0.05)


def test_nobody_at_that_number_hangs_up(routed):
    caller = routed.call_in("999")
    routed.wait(lambda: routed.ended(caller))


def test_forward_bridges_caller_and_peer_and_hangs_up_both(routed, pbx):
    caller = routed.call_in("101")
    peer = f"{caller}-peer"
    routed.wait(lambda: any(e["type"] == "ChannelEnteredBridge" and e["channel"]["id"] == peer for e in routed.events))
    bridge = f"call-{min(caller, peer)}"
    assert set(routed.bridged(bridge)) == {caller, peer}
    pbx.control(f"channels/{peer}/hangup")
    routed.wait(lambda: routed.ended(caller))


def test_replayed_start_changes_nothing(routed):
    caller = routed.call_in("802")
    routed.wait_bridged("room-open", caller)
    start = next(e for e in routed.events if e["type"] == "StasisStart" and e["channel"]["id"] == caller)
    requests_before = len(routed.pbx.simulator.requests)
    routed.router.handle(start)
    assert len(routed.pbx.simulator.requests) == requests_before
    assert routed.bridged("room-open") == [caller]


def test_keys_typed_in_odoo_reach_the_receptionist_as_a_user_event(routed, client):
    admin = routed.call_in("801", caller="100")
    routed.wait(lambda: admin in routed.router.callers)
    client.user_event(DTMF_EVENT, {"channel": admin, "digits": "2468#"})
    routed.wait_bridged("room-board", admin)


def test_placed_call_uses_the_users_extension_to_recognise_the_administrator(routed, client):
    client.originate("PJSIP/100", app_args=["dial", "801", "100"], channel_id="telephony-dial-admin")
    routed.wait(lambda: "telephony-dial-admin" in routed.router.callers)
    assert routed.router.callers["telephony-dial-admin"].is_administrator


def _playbacks(routed, channel_id, media):
    """The ids of the playbacks of ``media`` on the channel, from their PlaybackStarted events."""
    return [
        e["playback"]["id"]
        for e in routed.events
        if e["type"] == "PlaybackStarted"
        and e["playback"]["target_uri"] == f"channel:{channel_id}"
        and e["playback"]["media_uri"] == media
    ]


def _index(routed, predicate):
    return next(i for i, event in enumerate(routed.events) if predicate(event))


def test_three_wrong_codes_hear_the_whole_goodbye_then_are_reported_rejected(routed):
    caller = routed.call_in("801")
    routed.press(caller, "1111#2222#3333#")
    routed.wait(lambda: routed.ended(caller))
    goodbye = _playbacks(routed, caller, PROMPT_GOODBYE)
    assert goodbye, "the caller is told goodbye"
    finished = _index(routed, lambda e: e["type"] == "PlaybackFinished" and e["playback"]["id"] == goodbye[0])
    assert routed.events[finished]["playback"]["state"] == "done", "the goodbye is not cut off"
    hung_up = _index(routed, lambda e: e["type"] == "StasisEnd" and e["channel"]["id"] == caller)
    assert finished < hung_up
    assert [r["channel"]["id"] for r in routed.reports if r["type"] == REJECTED_EVENT] == [caller]


def test_a_caller_who_hangs_up_during_the_goodbye_is_not_hung_up_twice(routed, pbx):
    caller = routed.call_in("801")
    routed.press(caller, "1#2#3#")
    routed.wait(lambda: _playbacks(routed, caller, PROMPT_GOODBYE))
    pbx.control(f"channels/{caller}/hangup")
    routed.wait(lambda: routed.ended(caller))
    cut = [e for e in routed.events if e["type"] == "PlaybackFinished"][-1]
    assert cut["playback"]["state"] == "failed", "a hang-up cuts the playback, as on Asterisk"
    assert routed.router.after_playback == {}, "nothing left to do for a caller who is gone"


def test_waiting_caller_hears_wait_for_the_leader_then_music(routed, pbx):
    early = routed.call_in("801")
    routed.press(early, "2468#")
    routed.wait(lambda: _playbacks(routed, early, PROMPT_WAIT_FOR_ADMIN))
    assert not pbx.simulator.channels[early].moh, "the prompt first, then the music"
    routed.wait(lambda: pbx.simulator.channels[early].moh)


def _bridge_moh(pbx, bridge_id, on, timeout=10):
    deadline = time.monotonic() + timeout
    while True:
        bridge = pbx.simulator.bridges.get(bridge_id)
        if bridge and bridge.moh == on:
            return
        assert time.monotonic() < deadline, f"music in {bridge_id} never became {on}"
        time.sleep(0.05)


def test_someone_alone_in_a_room_hears_music_until_someone_joins(routed, pbx):
    first = routed.call_in("802")
    routed.wait_bridged("room-open", first)
    _bridge_moh(pbx, "room-open", True)
    second = routed.call_in("802")
    routed.wait_bridged("room-open", second)
    _bridge_moh(pbx, "room-open", False)
    pbx.control(f"channels/{second}/hangup")
    _bridge_moh(pbx, "room-open", True)


def test_last_caller_left_by_the_administrator_hears_music(routed, pbx):
    admin = routed.call_in("801", caller="100")
    routed.press(admin, "2468#")
    routed.wait_bridged("room-board", admin)
    guest = routed.call_in("801")
    routed.press(guest, "2468#")
    routed.wait_bridged("room-board", guest)
    _bridge_moh(pbx, "room-board", False)
    pbx.control(f"channels/{admin}/hangup")
    _bridge_moh(pbx, "room-board", True)


def test_forwarded_caller_keeps_their_display_name(routed, pbx):
    caller = routed.call_in("102", caller="+33612345678", caller_name="Alice Martin")
    peer = f"{caller}-peer"
    routed.wait(lambda: any(e["type"] == "StasisStart" and e["channel"]["id"] == peer for e in routed.events))
    start = next(e for e in routed.events if e["type"] == "StasisStart" and e["channel"]["id"] == peer)
    assert start["channel"]["caller"] == {"name": "Alice Martin", "number": "+33612345678"}
    assert start["args"] == ["peer", caller], "the peer leg enters the application as on Asterisk"


def test_a_goodbye_whose_end_was_never_reported_still_ends_the_call(pbx, client):
    """The PlaybackFinished of the goodbye was lost (sent while the event stream was down)."""
    if not pbx.is_simulator:
        pytest.skip("needs a prompt that plays for a minute")
    pbx.simulator.playback_seconds = 60
    routed = RoutedPbx(pbx, client, {})
    routed.router.prompt_grace_seconds = 0.5
    try:
        caller = routed.call_in("801")
        routed.press(caller, "1#2#3#")
        routed.wait(lambda: _playbacks(routed, caller, PROMPT_GOODBYE))
        time.sleep(0.6)
        routed.call_in("802")  # the next event the router handles
        routed.wait(lambda: routed.ended(caller))
    finally:
        routed.stop()
