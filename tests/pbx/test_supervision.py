"""Live supervision: snoop channels as Asterisk 22 makes them, and the router's Listen, Whisper and Barge.

The first tests speak ARI only and run against the simulator or a real Asterisk (TELEPHONY_ARI_URL). The router's
tests run against the simulator over real sockets: an outside caller ``C`` is forwarded to the user's phone (101,
leg ``C-peer``), and a manager's phone (103) is originated by the test as Odoo does.
"""

import time
import uuid

import pytest
from router_harness import RouterHarness

from pbx.ari import PbxNotFound, PbxRequestError
from pbx.conference import Forward, Room
from pbx.supervision import (
    SNOOP_MARK,
    SUPERVISE_EVENT,
    SUPERVISION_REPORT,
    new_supervision_leg_id,
    supervision_bridge_id,
)

ROOM = Room(key=7, bridge_id="room-supervised")


def _answered_channel(client, events, pbx):
    channel_id = f"probe-{uuid.uuid4().hex[:10]}"
    client.originate(pbx.endpoint("answers"), app_args=["target"], channel_id=channel_id)
    events.wait_for("StasisStart", channel_id)
    return channel_id


def test_a_snoop_channel_enters_the_application_with_its_arguments(pbx, client, events):
    target = _answered_channel(client, events, pbx)
    snoop_id = f"{target}-snoop"
    try:
        answer = client.snoop(target, spy="both", whisper="none", app_args=["snoop", "sup-1"], snoop_id=snoop_id)
        start = events.wait_for("StasisStart", snoop_id)
    finally:
        client.hangup_if_present(target)
    assert answer["id"] == snoop_id
    assert answer["name"].startswith(f"Snoop/{target}-")
    assert len(answer["name"].rsplit("-", 1)[1]) == 8, "Asterisk numbers snoops with 8 hex digits"
    assert answer["state"] == "Up"
    assert answer["caller"] == {"name": "", "number": ""}
    assert start["args"] == ["snoop", "sup-1"]
    assert start["channel"]["dialplan"]["app_data"] == f"{pbx.app},snoop,sup-1"
    assert start["channel"]["dialplan"]["context"] == "default"


def test_snoop_refusals(pbx, client, events):
    target = _answered_channel(client, events, pbx)
    try:
        with pytest.raises(PbxRequestError, match="Invalid direction specified for spy"):
            client.snoop(target, spy="sideways")
        with pytest.raises(PbxRequestError, match="Invalid direction specified for whisper"):
            client.snoop(target, spy="both", whisper="up")
        with pytest.raises(PbxRequestError, match="Direction must be specified for at least spy or whisper"):
            client.snoop(target)
        with pytest.raises(PbxNotFound, match="Provided channel was not found"):
            client.snoop("no-such-channel", spy="both")
        with pytest.raises(PbxRequestError, match=r"HTTP 500\): Snoop channel could not be created"):
            client.snoop(target, spy="both", snoop_id=target)
    finally:
        client.hangup_if_present(target)


def test_a_snoop_ends_with_its_channel_and_never_reports_destroyed(pbx, client, events):
    target = _answered_channel(client, events, pbx)
    hung_up, followed = f"{target}-snoop-1", f"{target}-snoop-2"
    try:
        client.snoop(target, spy="both", snoop_id=hung_up)
        client.snoop(target, spy="both", whisper="out", snoop_id=followed)
        events.wait_for("StasisStart", followed)
        client.hangup(hung_up)
        events.wait_for("StasisEnd", hung_up)
        assert events.of("ChannelHangupRequest", hung_up)[0]["soft"] is True
    finally:
        client.hangup_if_present(target)
    events.wait_for("ChannelDestroyed", target)
    ended = events.wait_for("StasisEnd", followed)
    assert not events.of("ChannelHangupRequest", followed), "the snooped channel's end is no hang-up request"
    assert events.events.index(ended) < events.events.index(events.of("ChannelDestroyed", target)[0])
    time.sleep(0.5)
    assert not events.of("ChannelDestroyed", hung_up) and not events.of("ChannelDestroyed", followed)
    assert followed not in {channel["id"] for channel in client.list_channels()}


class Supervised(RouterHarness):
    """Calls to 101 and 102 forwarded to those phones, 801 the room ``ROOM``."""

    room = ROOM

    def route(self, dialled, caller, outbound):
        if dialled == "801":
            return ROOM
        return Forward(f"PJSIP/{dialled}", f"<{caller}>") if dialled in ("101", "102") else None

    def restart(self):
        """kill -9: a new router that knows only what the PBX has live."""
        self.stream.stop()
        return Supervised(self.pbx)

    @property
    def simulator(self):
        return self.pbx.simulator

    def members(self, bridge_id):
        bridge = self.simulator.bridges.get(bridge_id)
        return sorted(bridge.channels) if bridge else None

    def snoops(self, leg_id):
        return [c for c in list(self.simulator.channels.values()) if c.id.startswith(f"{leg_id}{SNOOP_MARK}")]

    def connected_call(self):
        call = self.pbx.control("calls", dialled="101", caller="+33612345678")["id"]
        self.wait(lambda: self.members(f"call-{call}") == sorted([call, f"{call}-peer"]), "the call connected")
        return call, f"{call}-peer"

    def supervise(self, target, mode):
        """Ring the manager's phone (103) as Odoo does, and wait until they are in ``mode``."""
        leg = new_supervision_leg_id()
        self.client.originate("PJSIP/103", app_args=["supervise", target, mode], channel_id=leg)
        self.wait(lambda: self.mode_of(leg) == mode, f"{mode} in place")
        return leg

    def mode_of(self, leg):
        supervision = self.router.supervisions.get(leg)
        if supervision is None or not supervision.mode:
            return None
        if supervision.mode != "barge" and self.members(supervision.bridge_id) != sorted([leg, supervision.snoop_id]):
            return None
        return supervision.mode

    def switch(self, leg, mode):
        self.client.user_event(SUPERVISE_EVENT, {"channel": leg, "mode": mode})
        self.wait(lambda: self.mode_of(leg) == mode, f"switched to {mode}")

    def modes_reported(self, leg):
        return [
            r.get("mode") or r.get("state")
            for r in self.reports
            if r["type"] == SUPERVISION_REPORT and r["channel"]["id"] == leg
        ]

    def gone(self, channel_id):
        return channel_id not in self.simulator.channels


@pytest.fixture
def supervised(pbx):
    if not pbx.is_simulator:
        pytest.skip("callers and phones are simulated")
    supervised = Supervised(pbx)
    yield supervised
    supervised.stop()


def test_listen_hears_the_user_s_leg_both_ways_in_a_bridge_of_its_own(supervised):
    call, user_leg = supervised.connected_call()
    leg = supervised.supervise(user_leg, "listen")
    (snoop,) = supervised.snoops(leg)
    assert (snoop.snoop_of, snoop.spy, snoop.whisper) == (user_leg, "both", "none"), "hears both, says nothing"
    assert supervised.members(supervision_bridge_id(leg)) == sorted([leg, snoop.id])
    assert supervised.members(f"call-{call}") == sorted([call, user_leg]), "the call's parties are alone together"
    assert supervised.modes_reported(leg) == ["listen"]
    assert leg not in supervised.router.callers, "the supervisor is no party of the call"


def test_whisper_speaks_into_the_user_s_leg_only(supervised):
    call, user_leg = supervised.connected_call()
    leg = supervised.supervise(user_leg, "whisper")
    (snoop,) = supervised.snoops(leg)
    assert (snoop.snoop_of, snoop.spy, snoop.whisper) == (user_leg, "both", "out")
    assert supervised.members(f"call-{call}") == sorted([call, user_leg])


def test_barge_joins_the_call_s_own_bridge(supervised):
    call, user_leg = supervised.connected_call()
    leg = supervised.supervise(user_leg, "barge")
    assert supervised.members(f"call-{call}") == sorted([call, user_leg, leg])
    assert not supervised.snoops(leg)


def test_barge_into_a_room_joins_the_room_s_bridge(supervised):
    caller = supervised.pbx.control("calls", dialled="801", caller="+33612345678")["id"]
    supervised.wait(lambda: supervised.members(ROOM.bridge_id) == [caller], "the caller in the room")
    leg = supervised.supervise(caller, "barge")
    assert supervised.members(ROOM.bridge_id) == sorted([caller, leg])


def test_modes_switch_on_the_same_leg_without_ringing_again(supervised):
    call, user_leg = supervised.connected_call()
    leg = supervised.supervise(user_leg, "listen")
    first_snoop = supervised.snoops(leg)[0].id
    supervised.switch(leg, "whisper")
    assert supervised.gone(first_snoop), "the listening snoop was replaced"
    assert [s.whisper for s in supervised.snoops(leg)] == ["out"]
    supervised.switch(leg, "barge")
    assert not supervised.snoops(leg)
    assert supervised.members(f"call-{call}") == sorted([call, user_leg, leg])
    supervised.switch(leg, "listen")
    assert supervised.members(f"call-{call}") == sorted([call, user_leg]), "out of the call again"
    assert [s.whisper for s in supervised.snoops(leg)] == ["none"]
    ringing = [c for c in supervised.simulator.originated if c.startswith("telephony-supervise-")]
    assert ringing == [leg], "the manager's phone rang once"
    assert supervised.modes_reported(leg) == ["listen", "whisper", "barge", "listen"]


def test_the_supervisor_hanging_up_ends_the_snoop_and_its_bridge_not_the_call(supervised):
    call, user_leg = supervised.connected_call()
    leg = supervised.supervise(user_leg, "listen")
    snoop = supervised.snoops(leg)[0].id
    supervised.pbx.control(f"channels/{leg}/hangup")
    supervised.wait(lambda: supervised.gone(snoop), "the snoop hung up")
    supervised.wait(lambda: supervised.members(supervision_bridge_id(leg)) is None, "its bridge destroyed")
    assert supervised.members(f"call-{call}") == sorted([call, user_leg])
    assert not supervised.router.supervisions


@pytest.mark.parametrize("mode", ["listen", "barge"])
def test_the_supervised_call_ending_hangs_the_supervisor_up(supervised, mode):
    call, user_leg = supervised.connected_call()
    leg = supervised.supervise(user_leg, mode)
    supervised.pbx.control(f"channels/{call}/hangup")
    supervised.wait(lambda: supervised.gone(leg), "the supervisor hung up")
    supervised.wait(lambda: supervised.members(supervision_bridge_id(leg)) is None, "its bridge destroyed")
    assert supervised.members(f"call-{call}") is None and supervised.gone(user_leg)
    assert not supervised.snoops(leg)


def test_a_supervisor_answering_after_the_call_ended_is_hung_up(supervised):
    leg = new_supervision_leg_id()
    supervised.client.originate("PJSIP/103", app_args=["supervise", "1796000000.404-peer", "listen"], channel_id=leg)
    supervised.wait(lambda: supervised.modes_reported(leg) == ["refused"], "the supervision refused")
    supervised.wait(lambda: supervised.gone(leg), "the supervisor hung up")


def test_only_a_channel_odoo_placed_may_supervise(supervised):
    _call, user_leg = supervised.connected_call()
    forged = f"forged-{uuid.uuid4().hex[:8]}"
    supervised.client.originate("PJSIP/103", app_args=["supervise", user_leg, "listen"], channel_id=forged)
    supervised.wait(lambda: supervised.gone(forged), "the forged supervisor hung up")
    assert not supervised.snoops(forged) and not supervised.router.supervisions


def test_a_restarted_router_follows_a_listening_supervisor_on(supervised):
    call, user_leg = supervised.connected_call()
    leg = supervised.supervise(user_leg, "listen")
    snoop = supervised.snoops(leg)[0].id
    restarted = supervised.restart()
    try:
        assert restarted.mode_of(leg) == "listen"
        assert restarted.router.supervisions[leg].snoop_id == snoop, "the same snoop, not a new one"
        assert supervised.members(f"call-{call}") == sorted([call, user_leg])
        assert leg not in restarted.router.callers
        restarted.switch(leg, "barge")
        assert supervised.members(f"call-{call}") == sorted([call, user_leg, leg])
        supervised.pbx.control(f"channels/{user_leg}/hangup")
        restarted.wait(lambda: supervised.gone(leg), "the supervisor hung up with the call")
    finally:
        restarted.stop()


def test_a_restarted_router_keeps_a_barging_supervisor_out_of_the_call_s_parties(supervised):
    call, user_leg = supervised.connected_call()
    leg = supervised.supervise(user_leg, "barge")
    restarted = supervised.restart()
    try:
        assert restarted.mode_of(leg) == "barge"
        assert supervised.members(f"call-{call}") == sorted([call, user_leg, leg]), "nobody hung up"
        supervised.pbx.control(f"channels/{call}/hangup")
        restarted.wait(lambda: supervised.gone(user_leg), "the user's leg hung up with the caller")
        restarted.wait(lambda: supervised.gone(leg), "the supervisor hung up with the call")
        restarted.wait(lambda: supervised.members(f"call-{call}") is None, "the call's bridge destroyed")
    finally:
        restarted.stop()


@pytest.mark.parametrize("mode", ["whisper", "barge"])
def test_a_call_that_ended_while_nobody_listened_takes_its_supervisor_along(supervised, mode):
    call, user_leg = supervised.connected_call()
    leg = supervised.supervise(user_leg, mode)
    snoops = [snoop.id for snoop in supervised.snoops(leg)]
    supervised.stream.stop()
    supervised.pbx.control(f"channels/{user_leg}/hangup")
    restarted = Supervised(supervised.pbx)
    try:
        restarted.wait(lambda: supervised.gone(leg), "the supervisor hung up")
        restarted.wait(lambda: supervised.members(supervision_bridge_id(leg)) is None, "its bridge destroyed")
        restarted.wait(lambda: supervised.gone(call), "the caller, alone in the call's bridge, hung up")
        assert all(supervised.gone(snoop) for snoop in snoops)
        assert supervised.members(f"call-{call}") is None
    finally:
        restarted.stop()
