"""After a (re)connection the router reconciles what it follows with what the PBX has live.

Each test loses events the way the listener does: its event stream closes (a websocket drop keeps the
router; a restart starts a new one), the phones act meanwhile, then the router reconnects and reconciles.
"""

import time

import pytest

from pbx.conference import CallRouter, Forward, Room

BOARD = Room(
    key=1,
    bridge_id="room-board",
    access_code="2468",
    wait_for_administrator=True,
    administrator_numbers=frozenset({"100"}),
)
SLOW_CALLEE = "105"  # answers after RING_SECONDS: time enough to lose its events


class Listener:
    """A router fed by an event stream that can be dropped, then reconnected with a reconciliation."""

    def __init__(self, pbx, members=()):
        self.pbx = pbx
        self.client = pbx.client(timeout=3)
        self.router = CallRouter(self.client, self.route, room_for_key=lambda key: BOARD)
        self.connect(members)

    def route(self, dialled, caller, outbound):
        if dialled == "801":
            return BOARD
        return Forward(f"PJSIP/{dialled}") if dialled in ("101", SLOW_CALLEE) else None

    def connect(self, members=()):
        self.stream = self.client.start_event_stream(self.router.handle, backoff_base=0.1, backoff_cap=0.5)
        assert self.stream.wait_connected(10)
        self.started = self.router.reconcile(self.client.list_channels(), self.client.list_bridges(), members)

    def drop(self):
        self.stream.stop()

    def restart(self, members=()):
        """kill -9: a new router that knows only what the journal says (``members``)."""
        self.drop()
        return Listener(self.pbx, members)

    def call_in(self, dialled, caller="+33612345678"):
        return self.pbx.control("calls", dialled=dialled, caller=caller)["id"]

    def bridge_of(self, channel_id):
        return next((b["id"] for b in self.client.list_bridges() if channel_id in b["channels"]), None)


def wait_for(predicate, message, timeout=10):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out: {message}"
        time.sleep(0.05)


@pytest.fixture
def listener(pbx):
    if not pbx.is_simulator:
        pytest.skip("callers and phones are simulated")
    pbx.simulator.endpoints[SLOW_CALLEE] = {"answer_after": 1.5}
    listener = Listener(pbx)
    yield listener
    listener.drop()


def waiting_caller(listener, number="+33612345678"):
    channel_id = listener.call_in("801", caller=number)
    wait_for(lambda: channel_id in listener.router.callers, "the receptionist")
    listener.pbx.control(f"channels/{channel_id}/dtmf", digits="2468#")
    wait_for(lambda: listener.pbx.simulator.channels[channel_id].moh, "music on hold")
    return channel_id


def admin_joins(listener):
    admin = listener.call_in("801", caller="100")
    wait_for(lambda: admin in listener.router.callers, "the receptionist")
    listener.pbx.control(f"channels/{admin}/dtmf", digits="2468#")
    return admin


def test_waiting_caller_joins_when_the_administrator_comes_after_a_restart(listener, pbx):
    early = waiting_caller(listener)
    restarted = listener.restart(members=[(early, BOARD, "+33612345678", True, False)])
    assert "room-board" not in {b["id"] for b in restarted.client.list_bridges()}, "waiting opens no bridge"
    admin = admin_joins(restarted)
    wait_for(lambda: restarted.bridge_of(early) == "room-board", "the waiting caller joining")
    assert restarted.bridge_of(admin) == "room-board"
    assert not pbx.simulator.channels[early].moh
    restarted.drop()


def test_a_waiting_caller_who_hung_up_unseen_keeps_nobody_waiting(listener, pbx):
    gone, still_there = waiting_caller(listener), waiting_caller(listener, "+33612345679")
    listener.drop()
    pbx.control(f"channels/{gone}/hangup")
    listener.connect()
    admin_joins(listener)
    wait_for(lambda: listener.bridge_of(still_there) == "room-board", "the remaining caller joining")


def test_a_dead_channel_on_hold_does_not_block_the_others_even_unreconciled(listener, pbx):
    gone, still_there = waiting_caller(listener), waiting_caller(listener, "+33612345679")
    listener.drop()
    pbx.control(f"channels/{gone}/hangup")
    listener.stream = listener.client.start_event_stream(listener.router.handle, backoff_base=0.1)
    assert listener.stream.wait_connected(10)
    admin_joins(listener)
    wait_for(lambda: listener.bridge_of(still_there) == "room-board", "the remaining caller joining")


def test_an_administrator_who_left_unseen_no_longer_opens_the_room(listener, pbx):
    admin = admin_joins(listener)
    wait_for(lambda: listener.bridge_of(admin) == "room-board", "the administrator in the room")
    listener.drop()
    pbx.control(f"channels/{admin}/hangup")
    listener.connect()
    assert "room-board" not in {b["id"] for b in listener.client.list_bridges()}, "the empty room is closed"
    guest = waiting_caller(listener)
    assert listener.bridge_of(guest) is None, "the guest waits for the administrator again"


def test_a_callee_who_answered_during_a_drop_is_rung_again_and_connected(listener, pbx):
    caller = listener.call_in(SLOW_CALLEE)
    peer = f"{caller}-peer"
    wait_for(lambda: peer in pbx.simulator.channels, "the callee ringing")
    listener.drop()
    wait_for(lambda: peer not in pbx.simulator.channels, "the PBX hanging up the callee: no application to enter")
    listener.connect()
    assert [start["channel"]["id"] for start in listener.started] == [caller], "the caller is routed again"
    wait_for(lambda: listener.bridge_of(caller) and listener.bridge_of(caller) == listener.bridge_of(peer), "bridged")
    assert pbx.simulator.channels[caller].state == "Up"


def test_a_caller_who_gave_up_during_a_drop_leaves_no_callee_ringing(listener, pbx):
    caller = listener.call_in(SLOW_CALLEE)
    peer = f"{caller}-peer"
    wait_for(lambda: peer in pbx.simulator.channels, "the callee ringing")
    listener.drop()
    pbx.control(f"channels/{caller}/hangup")
    listener.connect()
    wait_for(lambda: peer not in pbx.simulator.channels, "the orphan callee leg hung up")


def test_a_connected_call_is_followed_again_after_a_restart(listener, pbx):
    caller = listener.call_in("101")
    peer = f"{caller}-peer"
    wait_for(lambda: listener.bridge_of(peer), "the call connected")
    restarted = listener.restart()
    pbx.control(f"channels/{caller}/hangup")
    wait_for(lambda: not pbx.simulator.channels, "the callee leg hung up with its caller")
    wait_for(lambda: not pbx.simulator.bridges, "the call's bridge destroyed")
    restarted.drop()


def test_a_caller_who_hung_up_while_nobody_listened_leaves_no_leg_nor_bridge(listener, pbx):
    caller = listener.call_in("101")
    peer = f"{caller}-peer"
    wait_for(lambda: listener.bridge_of(peer), "the call connected")
    listener.drop()
    pbx.control(f"channels/{caller}/hangup")
    restarted = Listener(pbx)
    wait_for(lambda: not pbx.simulator.channels, "the callee leg hung up")
    wait_for(lambda: not pbx.simulator.bridges, "the bridge destroyed")
    restarted.drop()


def test_a_ringing_callee_is_awaited_not_rung_again_after_a_restart(listener, pbx):
    caller = listener.call_in(SLOW_CALLEE)
    peer = f"{caller}-peer"
    wait_for(lambda: peer in pbx.simulator.channels, "the callee ringing")
    restarted = listener.restart()
    assert restarted.started == [], "a caller whose callee rings is not routed again"
    wait_for(
        lambda: restarted.bridge_of(caller) and restarted.bridge_of(caller) == restarted.bridge_of(peer), "bridged"
    )
    restarted.drop()


def test_empty_bridges_are_destroyed(listener, pbx):
    listener.drop()
    listener.client.create_bridge("telephony-abc-7")
    listener.client.create_bridge("call-123.4")
    listener.client.create_bridge("someone-elses")
    owned = lambda bridge_id: bridge_id.startswith("telephony-")  # noqa: E731
    listener.router.reconcile([], listener.client.list_bridges(), (), owned)
    assert set(pbx.simulator.bridges) == {"someone-elses"}


def test_a_room_bridge_with_only_asterisks_music_player_left_is_destroyed(listener):
    announcer = {"id": "1796192000.9", "name": "Announcer/ARI_MOH-00000001", "state": "Up", "dialplan": {}}
    bridges = [{"id": "telephony-abc-7", "channels": [announcer["id"]]}]
    destroyed = []
    listener.router.client.destroy_bridge_if_present = destroyed.append
    listener.router.reconcile([announcer], bridges, (), lambda bridge_id: True)
    assert destroyed == ["telephony-abc-7"]
