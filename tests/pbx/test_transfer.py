"""Hold and transfer driven by Odoo's user events, through the call router against the simulator over real sockets.

Every call here is an outside caller forwarded to the user's phone (extension 101): the caller's channel ``C``
is the other party, ``C-peer`` is the user's leg, as when a customer calls a salesperson.
"""

import uuid

import pytest
from router_harness import RouterHarness

from pbx.conference import Forward
from pbx.transfer import HELD_REPORT, HOLD_EVENT, TRANSFER_EVENT, TRANSFER_REPORT

SLOW = "105"  # answers after 1.5 s: time enough to look at a transfer while it rings


class Routed(RouterHarness):
    """Calls to 101, 102, 486, 408 and the slow 105 forwarded to those phones."""

    def __init__(self, pbx):
        super().__init__(pbx, ring_seconds=2)

    def route(self, dialled, caller, outbound):
        if dialled in ("101", "102", "486", "408", SLOW):
            return Forward(f"PJSIP/{dialled}", f"<{caller}>" if caller else "")
        return None

    def restart(self):
        """kill -9: a new router that knows only what the PBX has live."""
        self.stream.stop()
        return Routed(self.pbx)

    def transfers(self, state=None):
        return [r for r in self.reports if r["type"] == TRANSFER_REPORT and state in (None, r["state"])]

    def connected_call(self, caller="+33612345678"):
        channel_id = self.pbx.control("calls", dialled="101", caller=caller, caller_name="Alice Martin")["id"]
        user_leg = f"{channel_id}-peer"
        self.wait(lambda: self.bridge_of(user_leg) == f"call-{channel_id}", "the call connected")
        return channel_id, user_leg

    def send(self, name, **fields):
        self.client.user_event(name, {key: str(value) for key, value in fields.items()})

    def transfer(self, call, user_leg, mode, target="", consult=""):
        self.send(
            TRANSFER_EVENT, channel=user_leg, call=call, mode=mode, target=target, extension="101", consult=consult
        )

    def channel(self, channel_id):
        return self.pbx.simulator.channels.get(channel_id)

    def legs(self, call, mark):
        return [c for c in list(self.pbx.simulator.channels) if c.startswith(f"{call}{mark}")]


@pytest.fixture
def routed(pbx):
    if not pbx.is_simulator:
        pytest.skip("callers and phones are simulated")
    pbx.simulator.endpoints[SLOW] = {"answer_after": 1.5}
    routed = Routed(pbx)
    yield routed
    routed.stop()


def _consult_id(call):
    return f"{call}-consult-{uuid.uuid4().hex[:12]}"


def test_hold_puts_the_other_party_on_hold_and_mutes_it(routed):
    call, user_leg = routed.connected_call()
    routed.send(HOLD_EVENT, channel=user_leg, call=call, hold=1)
    # The router holds, then mutes: the mute's request may still be on its way when the hold shows.
    routed.wait(lambda: routed.channel(call).held and routed.channel(call).muted_in, "the caller on hold, muted")
    assert not routed.channel(user_leg).held, "the user's own phone is not on hold"
    routed.send(HOLD_EVENT, channel=user_leg, call=call, hold=0)
    routed.wait(lambda: not routed.channel(call).held, "the caller back")
    assert not routed.channel(call).muted_in
    held = [(r["channel"]["id"], r["held"]) for r in routed.reports if r["type"] == HELD_REPORT]
    assert held == [(call, True), (call, False)]
    assert routed.bridge_of(call) == routed.bridge_of(user_leg), "both stay in their call all along"


def test_blind_transfer_connects_the_caller_to_the_target_and_frees_the_user(routed):
    call, user_leg = routed.connected_call()
    routed.transfer(call, user_leg, "blind", target="102")
    routed.wait(lambda: user_leg not in routed.pbx.simulator.channels, "the user's leg hung up")
    routed.wait(lambda: routed.transfers("answered"), "the target answering")
    [leg] = routed.legs(call, "-xfer-")
    assert routed.channel(leg).name.startswith("PJSIP/102")
    assert routed.channel(leg).caller == {"name": "Alice Martin", "number": "+33612345678"}, "102 sees who calls"
    assert routed.bridge_of(leg) == routed.bridge_of(call) == f"call-{call}"
    assert not routed.channel(call).held and not routed.channel(call).muted_in
    assert [r["state"] for r in routed.transfers()] == ["ringing", "answered"]
    assert routed.transfers("ringing")[0]["left"] == user_leg
    routed.pbx.control(f"channels/{leg}/hangup")
    routed.wait(lambda: not routed.pbx.simulator.channels, "the caller hung up with the target")
    routed.wait(lambda: not routed.pbx.simulator.bridges, "the bridge destroyed")


def test_the_caller_waits_on_hold_while_the_target_rings(routed):
    call, user_leg = routed.connected_call()
    routed.transfer(call, user_leg, "blind", target=SLOW)
    routed.wait(lambda: routed.legs(call, "-xfer-"), "the target ringing")
    assert routed.channel(call).held, "music on hold, not silence"
    routed.pbx.control(f"channels/{call}/hangup")
    routed.wait(lambda: not routed.pbx.simulator.channels, "the target no longer rung for a caller who left")


def test_a_busy_target_rings_the_user_back(routed):
    call, user_leg = routed.connected_call()
    routed.transfer(call, user_leg, "blind", target="486")
    routed.wait(lambda: routed.transfers("returned"), "the user taking the call back")
    [failed] = routed.transfers("failed")
    assert failed["cause"] == 17 and failed["number"] == "486"
    back = failed["leg"]
    assert routed.channel(back).name.startswith("PJSIP/101"), "the transferring user's phone rang"
    assert routed.bridge_of(back) == routed.bridge_of(call)
    assert not routed.channel(call).held


def test_nobody_answering_the_transfer_nor_the_call_back_hangs_the_caller_up(routed):
    call, user_leg = routed.connected_call()
    routed.router.ring_seconds = 1
    routed.send(TRANSFER_EVENT, channel=user_leg, call=call, mode="blind", target="408", extension="408")
    routed.wait(lambda: call not in routed.pbx.simulator.channels, "the caller hung up, not left on hold")
    assert [r["leg"] != "" for r in routed.transfers("failed")] == [True, False]
    routed.wait(lambda: not routed.pbx.simulator.bridges, "the bridge destroyed")


def test_attended_transfer_consults_then_completes(routed):
    call, user_leg = routed.connected_call()
    consult = _consult_id(call)
    routed.transfer(call, user_leg, "attended", target=SLOW, consult=consult)
    routed.wait(lambda: consult in routed.pbx.simulator.channels, "the target ringing")
    assert routed.channel(call).held and routed.bridge_of(call) == f"call-{call}", "the caller held in their call"
    assert routed.bridge_of(user_leg) is None and routed.channel(user_leg).ringback, "the user hears it ring"
    routed.wait(lambda: routed.bridge_of(consult), "the target answering")
    assert routed.bridge_of(user_leg) == routed.bridge_of(consult) == f"call-{consult}"
    assert not routed.channel(user_leg).ringback
    routed.transfer(call, user_leg, "complete")
    routed.wait(lambda: routed.transfers("answered"), "the transfer completed")
    routed.wait(lambda: user_leg not in routed.pbx.simulator.channels, "the user's leg hung up")
    assert routed.bridge_of(consult) == routed.bridge_of(call) == f"call-{call}"
    assert not routed.channel(call).held
    routed.wait(lambda: f"call-{consult}" not in routed.pbx.simulator.bridges, "the consultation's bridge destroyed")
    assert [r["state"] for r in routed.transfers()] == ["consulting", "answered"]
    routed.pbx.control(f"channels/{call}/hangup")
    routed.wait(lambda: not routed.pbx.simulator.channels, "the target hung up with the caller")


def test_attended_transfer_cancelled_resumes_the_first_call(routed):
    call, user_leg = routed.connected_call()
    consult = _consult_id(call)
    routed.transfer(call, user_leg, "attended", target="102", consult=consult)
    routed.wait(lambda: routed.bridge_of(consult), "the target answering")
    routed.transfer(call, user_leg, "cancel")
    routed.wait(lambda: consult not in routed.pbx.simulator.channels, "the consulted target hung up")
    routed.wait(lambda: routed.bridge_of(user_leg) == f"call-{call}", "the user back with the caller")
    assert not routed.channel(call).held and not routed.channel(call).muted_in
    assert [r["state"] for r in routed.transfers()] == ["consulting", "cancelled"]
    assert set(routed.pbx.simulator.bridges) == {f"call-{call}"}


def test_a_busy_consulted_target_brings_the_user_back(routed):
    call, user_leg = routed.connected_call()
    routed.transfer(call, user_leg, "attended", target="486", consult=_consult_id(call))
    routed.wait(lambda: routed.transfers("cancelled"), "the consultation over")
    assert routed.transfers("cancelled")[0]["cause"] == 17
    routed.wait(lambda: routed.bridge_of(user_leg) == f"call-{call}", "the user back with the caller")
    assert not routed.channel(call).held and not routed.channel(user_leg).ringback


def test_hanging_up_while_consulting_completes_the_transfer(routed):
    call, user_leg = routed.connected_call()
    consult = _consult_id(call)
    routed.transfer(call, user_leg, "attended", target="102", consult=consult)
    routed.wait(lambda: routed.bridge_of(consult), "the target answering")
    routed.pbx.control(f"channels/{user_leg}/hangup")
    routed.wait(lambda: routed.bridge_of(consult) == f"call-{call}", "the caller and the target together")
    assert not routed.channel(call).held


def test_a_transfer_is_refused_for_a_call_not_connected(routed):
    routed.transfer("nothing", "nothing-peer", "blind", target="102")
    routed.wait(lambda: routed.transfers("refused"), "the refusal reported")
    assert routed.transfers("refused")[0]["channel"]["id"] == "nothing"


def test_a_ringing_transfer_is_awaited_after_a_restart(routed):
    call, user_leg = routed.connected_call()
    routed.transfer(call, user_leg, "blind", target=SLOW)
    routed.wait(lambda: routed.legs(call, "-xfer-"), "the target ringing")
    restarted = routed.restart()
    try:
        [leg] = routed.legs(call, "-xfer-")
        restarted.wait(lambda: restarted.bridge_of(leg) == f"call-{call}", "the target connected to the caller")
        assert not restarted.channel(call).held, "the new router takes the caller off hold"
        restarted.pbx.control(f"channels/{leg}/hangup")
        restarted.wait(lambda: not restarted.pbx.simulator.channels, "the caller hung up with the target")
    finally:
        restarted.stop()


def test_an_attended_transfer_completes_after_a_restart(routed):
    call, user_leg = routed.connected_call()
    consult = _consult_id(call)
    routed.transfer(call, user_leg, "attended", target="102", consult=consult)
    routed.wait(lambda: routed.bridge_of(consult), "the target answering")
    restarted = routed.restart()
    try:
        restarted.transfer(call, user_leg, "complete")
        restarted.wait(lambda: restarted.bridge_of(consult) == f"call-{call}", "the caller and the target together")
        restarted.wait(lambda: user_leg not in restarted.pbx.simulator.channels, "the user's leg hung up")
        assert not restarted.channel(call).held
    finally:
        restarted.stop()
