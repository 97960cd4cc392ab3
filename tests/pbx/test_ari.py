"""The ARI client against a PBX over real sockets: the simulator, or a real Asterisk (see conftest)."""

import http.server
import logging
import socket
import threading
import time
import uuid

import pytest

from pbx.ari import (
    AriClient,
    AriDisabled,
    PbxAuthError,
    PbxConflict,
    PbxNotFound,
    PbxOriginateTimeout,
    PbxRequestError,
    PbxTimeout,
    PbxUnreachable,
)


def _channel_id():
    return f"test-{uuid.uuid4().hex[:12]}"


def test_asterisk_info_names_the_version(client):
    assert client.asterisk_info()["system"]["version"].startswith("22.")


def test_originate_rings_then_enters_the_application(client, events, pbx):
    channel_id = _channel_id()
    channel = client.originate(
        pbx.endpoint("answers"), app_args=["invite", "7", "9"], caller_id='"Conference" <800>', channel_id=channel_id
    )
    assert channel["id"] == channel_id
    start = events.wait_for("StasisStart", channel_id)
    assert start["args"] == ["invite", "7", "9"]
    assert start["channel"]["state"] == "Up"
    assert any(event["channel"]["state"] == "Up" for event in events.of("ChannelStateChange", channel_id))
    assert channel_id in {live["id"] for live in client.list_channels()}
    client.hangup(channel_id)
    events.wait_for("StasisEnd", channel_id)


def test_busy_endpoint_never_enters_the_application(client, events, pbx):
    channel_id = _channel_id()
    client.originate(pbx.endpoint("busy"), channel_id=channel_id, timeout=5)
    events.wait_for("ChannelDestroyed", channel_id)
    assert not events.of("StasisStart", channel_id)


def test_unanswered_call_ends_with_no_answer(client, events, pbx):
    channel_id = _channel_id()
    client.originate(pbx.endpoint("no_answer"), channel_id=channel_id, timeout=1)
    destroyed = events.wait_for("ChannelDestroyed", channel_id)
    assert destroyed["cause"] == 19
    assert not events.of("StasisStart", channel_id)


def test_bridge_lifecycle_mute_and_talk_detection(client, events, pbx):
    channel_id, bridge_id = _channel_id(), f"bridge-{uuid.uuid4().hex[:8]}"
    client.originate(pbx.endpoint("answers"), channel_id=channel_id)
    events.wait_for("StasisStart", channel_id)
    bridge = client.create_bridge(bridge_id)
    assert bridge["id"] == bridge_id and bridge["bridge_type"] == "mixing"
    client.add_channel(bridge_id, channel_id)
    entered = events.wait_for("ChannelEnteredBridge", channel_id)
    assert entered["bridge"]["id"] == bridge_id
    assert client.get_bridge(bridge_id)["channels"] == [channel_id]
    client.enable_talk_detection(channel_id)
    client.mute(channel_id, "in")
    client.unmute(channel_id, "in")
    client.play_on_bridge(bridge_id, "sound:beep")
    client.remove_channel(bridge_id, channel_id)
    events.wait_for("ChannelLeftBridge", channel_id)
    client.destroy_bridge(bridge_id)
    assert bridge_id not in {live["id"] for live in client.list_bridges()}
    assert client.destroy_bridge_if_present(bridge_id) is False
    client.hangup(channel_id)


def test_channel_gone_mid_operation(client, events, pbx):
    channel_id = _channel_id()
    client.originate(pbx.endpoint("answers"), channel_id=channel_id)
    events.wait_for("StasisStart", channel_id)
    client.hangup(channel_id)
    events.wait_for("StasisEnd", channel_id)
    with pytest.raises(PbxNotFound, match="Channel not found"):
        client.mute(channel_id, "in")
    assert client.hangup_if_present(channel_id) is False


def test_wrong_credentials_are_named(pbx):
    client = AriClient(pbx.url, pbx.user, "not-the-password", app=pbx.app, timeout=3)
    with pytest.raises(PbxAuthError, match="wrong user or password"):
        client.asterisk_info()


def test_http_server_without_ari_is_told_apart(pbx):
    client = AriClient(f"{pbx.url}/not-ari", pbx.user, pbx.password, timeout=3)
    with pytest.raises((AriDisabled, PbxAuthError)):
        client.asterisk_info()


def test_unreachable_pbx():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(PbxUnreachable, match=f"127.0.0.1:{port} cannot be reached"):
        AriClient(f"http://127.0.0.1:{port}", "u", "p", timeout=2).asterisk_info()


def test_pbx_that_accepts_but_never_answers_times_out():
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)
    port = silent.getsockname()[1]
    started = time.monotonic()
    try:
        with pytest.raises(PbxTimeout, match="did not answer within 0.5 seconds"):
            AriClient(f"http://127.0.0.1:{port}", "u", "p", timeout=0.5).list_channels()
    finally:
        silent.close()
    assert time.monotonic() - started < 5, "a silent PBX must never freeze the caller"


def test_slow_pbx_times_out_then_recovers(simulated_phone, pbx, client):
    pbx.control("delay", seconds=2)
    slow = pbx.client(timeout=0.5)
    with pytest.raises(PbxTimeout):
        slow.list_channels()
    pbx.control("delay", seconds=0)
    assert isinstance(slow.list_channels(), list)


def test_dtmf_pressed_on_a_phone_reaches_the_application(simulated_phone, client, events, pbx):
    channel_id = _channel_id()
    client.originate(pbx.endpoint("answers"), channel_id=channel_id)
    events.wait_for("StasisStart", channel_id)
    pbx.control(f"channels/{channel_id}/dtmf", digits="24#")
    events.wait_for("ChannelDtmfReceived", channel_id, digit="#")
    assert [event["digit"] for event in events.of("ChannelDtmfReceived", channel_id)] == ["2", "4", "#"]


def test_no_talking_events_while_muted(simulated_phone, client, events, pbx):
    channel_id = _channel_id()
    client.originate(pbx.endpoint("answers"), channel_id=channel_id)
    events.wait_for("StasisStart", channel_id)
    assert pbx.control(f"channels/{channel_id}/talk", talking=1) == {"changed": False}, "talk detection is off"
    client.enable_talk_detection(channel_id)
    client.mute(channel_id, "in")
    assert pbx.control(f"channels/{channel_id}/talk", talking=1) == {"changed": False}
    client.unmute(channel_id, "in")
    pbx.control(f"channels/{channel_id}/talk", talking=1)
    events.wait_for("ChannelTalkingStarted", channel_id)
    client.mute(channel_id, "in")
    events.wait_for("ChannelTalkingFinished", channel_id)


def test_websocket_drop_reconnects_without_losing_later_events(simulated_phone, pbx, client):
    received, connects = [], []
    stream = client.start_event_stream(
        received.append, on_connect=lambda c: connects.append(time.monotonic()), backoff_base=0.1, backoff_cap=0.5
    )
    try:
        assert stream.wait_connected(10)
        pbx.control("drop")
        deadline = time.monotonic() + 10
        while len(connects) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(connects) == 2, "the stream reconnected by itself and resynchronised"
        assert stream.wait_connected(5)
        channel_id = _channel_id()
        client.originate(pbx.endpoint("answers"), channel_id=channel_id)
        deadline = time.monotonic() + 10
        while not any(e["type"] == "StasisStart" and e["channel"]["id"] == channel_id for e in received):
            assert time.monotonic() < deadline, "events after the reconnection arrive"
            time.sleep(0.05)
        client.hangup(channel_id)
    finally:
        stream.stop()
    assert not stream.is_alive(), "stop() ends the stream thread"


def test_originate_many_rings_everyone_at_once_and_reports_each_failure(client, events, pbx):
    ids = [_channel_id() for _ in range(5)]
    originates = [{"endpoint": pbx.endpoint("answers"), "channel_id": channel_id} for channel_id in ids]
    originates.append({"endpoint": "Bogus/1", "channel_id": _channel_id()})
    results = client.originate_many(originates)
    assert [result["id"] for result in results[:5]] == ids
    assert "Allocation failed" in str(results[5])
    for channel_id in ids:
        events.wait_for("StasisStart", channel_id)
        client.hangup(channel_id)


def test_stop_is_clean_while_the_pbx_is_down():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = AriClient(f"http://127.0.0.1:{port}", "u", "p", timeout=1)
    stream = client.start_event_stream(lambda event: None, backoff_base=0.05, backoff_cap=0.2)
    time.sleep(0.5)
    assert not stream.connected.is_set()
    stopper = threading.Thread(target=stream.stop)
    stopper.start()
    stopper.join(5)
    assert not stream.is_alive()


def test_event_stream_refused_with_an_html_page_logs_one_line(caplog):
    """Asterisk still starting answers the events URL with a 404 HTML page."""

    class NotYet(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = b"<html><head><title>404 Not Found</title></head><body><h1>Not Found</h1></body></html>"
            self.send_response(404, "Not Found")
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), NotYet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    client = AriClient(f"http://127.0.0.1:{server.server_address[1]}", "telephony", "telephony", timeout=2)
    with caplog.at_level(logging.WARNING, logger="pbx.ari"):
        stream = client.start_event_stream(lambda event: None, backoff_base=5, backoff_cap=5)
        deadline = time.monotonic() + 5
        while not caplog.records and time.monotonic() < deadline:
            time.sleep(0.05)
        stream.stop()
    server.shutdown()
    message = caplog.records[0].getMessage()
    assert "HTTP 404" in message
    assert "<html" not in message and "\n" not in message


def test_originate_the_pbx_was_too_slow_for_is_cancelled(pbx):
    if not pbx.is_simulator:
        pytest.skip("needs a PBX slowed on purpose")
    pbx.control("delay", seconds=2)
    client = pbx.client(timeout=1)
    with pytest.raises(PbxOriginateTimeout) as caught:
        client.originate("PJSIP/101", app_args=["x"], channel_id="slow-originate")
    assert "did not answer within 1 seconds" in str(caught.value)
    assert caught.value.channel_id == "slow-originate"
    time.sleep(4)  # the PBX placed the call late, then got our hang-up
    assert "slow-originate" not in pbx.simulator.channels
    client.close()


def test_originate_refuses_an_argument_with_a_comma(client, pbx):
    """Asterisk splits appArgs on commas: an argument holding one would forge the arguments after it."""
    with pytest.raises(PbxRequestError, match="comma"):
        client.originate("PJSIP/101", app_args=["dial", "+33612345678,201", "202"], channel_id="telephony-comma")
    assert "telephony-comma" not in {channel["id"] for channel in client.list_channels()}


def test_hold_holds_the_channel_it_names_and_reports_nothing(simulated_phone, client, events, pbx):
    """Asterisk indicates HOLD to the channel named (it hears the music); ChannelHold is a phone's own hold key."""
    channel_id = _channel_id()
    client.originate(pbx.endpoint("answers"), channel_id=channel_id)
    events.wait_for("StasisStart", channel_id)
    client.hold(channel_id)
    client.ring(channel_id)
    assert pbx.simulator.channels[channel_id].held and pbx.simulator.channels[channel_id].ringback
    client.ring_stop(channel_id)
    client.unhold(channel_id)
    assert not pbx.simulator.channels[channel_id].held and not pbx.simulator.channels[channel_id].ringback
    pbx.control(f"channels/{channel_id}/hold", on=1)
    events.wait_for("ChannelHold", channel_id)
    pbx.control(f"channels/{channel_id}/hold", on=0)
    events.wait_for("ChannelUnhold", channel_id)
    assert len(events.of("ChannelHold", channel_id)) == 1, "the ARI hold raised no event of its own"
    client.hangup(channel_id)


def test_hold_of_a_channel_outside_the_application_is_refused(client, pbx):
    channel_id = _channel_id()
    client.originate(pbx.endpoint("no_answer"), channel_id=channel_id, timeout=5)
    with pytest.raises(PbxConflict, match="not in Stasis"):
        client.hold(channel_id)
    client.hangup(channel_id)
