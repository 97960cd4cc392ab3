"""Calls the PBX took while no listener held the application: refused by Stasis(), taken by the README's
fallback, recorded in astdb, read back through the drain channel and forgotten once journaled."""

import time
from datetime import datetime

import pytest

from pbx.outage import forget_outage_call, parse_records, read_outage_calls


def test_records_are_parsed_with_the_pbx_times():
    records = (
        "1796192109.57=1796192109,1796192113,203,202,ANSWER,3|1796192109.58=1796192110,1796192140,,7801,NOANSWER,|"
    )
    answered, missed = parse_records(records)
    assert answered.key == "1796192109.57"
    assert (answered.start, answered.end) == (datetime(2026, 12, 2, 6, 15, 9), datetime(2026, 12, 2, 6, 15, 13))
    assert (answered.caller, answered.dialled, answered.answered, answered.talk_seconds) == ("203", "202", True, 3)
    assert (missed.caller, missed.answered, missed.talk_seconds) == ("", False, 0)


def test_malformed_records_are_skipped():
    assert parse_records("") == []
    assert [call.key for call in parse_records("bad=1,2|k=oops,2,3,4,ANSWER,1|ok=1,2,3,4,BUSY,|")] == ["ok"]


def wait_for(predicate, message, timeout=10):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out: {message}"
        time.sleep(0.05)


def test_a_call_while_nobody_listens_goes_to_the_fallback_and_is_read_back_once(pbx, client):
    if not pbx.is_simulator:
        pytest.skip("the caller is a simulated phone")
    refused = pbx.control("calls", dialled="101", caller="+33612345678", talk=1)
    assert refused["stasis_status"] == "FAILED", "Stasis() refuses a call while the application is not active"
    wait_for(lambda: pbx.simulator.astdb, "the fallback's record at hang-up")
    stream = client.start_event_stream(lambda event: None, backoff_base=0.1)
    assert stream.wait_connected(10)
    try:
        (call,) = read_outage_calls(client)
        assert (call.key, call.caller, call.dialled, call.dial_status) == (
            refused["id"],
            "+33612345678",
            "101",
            "ANSWER",
        )
        assert call.talk_seconds == 1 and call.start <= call.end
        assert not [c for c in pbx.simulator.channels if c.startswith("telephony-outage-")], "the drain hung up"
        forget_outage_call(client, call.key)
        assert read_outage_calls(client) == []
    finally:
        stream.stop()
