"""Listener benchmark: ARI events recorded per second, and "invite 50 people" to the 50th originate.

Run through ``bench/run`` (it prepares a database); prints figures, asserts nothing. Each figure is
printed next to the plain way of doing the same thing in the same run:

- events: our batched recording (one transaction per batch, rows preloaded by channel id) against
  recording each event in a transaction of its own, as a webhook controller or a cron would;
- invitations: our concurrent originates against the same originates sent one after the other.
"""

import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

from odoo import api

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.common import open_registry  # noqa: E402
from pbx.simulator import Simulator  # noqa: E402

CALLS = 400
TALK_SPURTS = 3


def call_events(call_index, bridge_id, start):
    channel_id = f"bench-{call_index}"
    caller = f"+3361234{call_index:04d}"
    stamp = [start + timedelta(seconds=call_index)]

    def event(kind, **extra):
        stamp[0] += timedelta(seconds=1)
        channel = {
            "id": channel_id,
            "state": "Up",
            "caller": {"number": caller, "name": ""},
            "dialplan": {"exten": "8801"},
        }
        return {"type": kind, "timestamp": stamp[0].strftime("%Y-%m-%dT%H:%M:%S.000+0000"), "channel": channel, **extra}

    bridge = {"id": bridge_id, "channels": [channel_id]}
    events = [
        event("StasisStart", args=["8801"]),
        event("ChannelStateChange"),
        event("ChannelEnteredBridge", bridge=bridge),
    ]
    for _spurt in range(TALK_SPURTS):
        events += [event("ChannelTalkingStarted"), event("ChannelTalkingFinished", duration=1200)]
    events += [event("ChannelLeftBridge", bridge=bridge), event("StasisEnd")]
    return events


def timed_events_per_second(registry, pbx_id, batches):
    count = sum(len(batch) for batch in batches)
    started = time.perf_counter()
    for batch in batches:
        with registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            env["telephony.pbx"].browse(pbx_id)._apply_ari_events(batch)
    return count / (time.perf_counter() - started)


def bench_events(registry, pbx_id, room_id):
    with registry.cursor() as cr:
        env = api.Environment(cr, api.SUPERUSER_ID, {})
        bridge_id = env["telephony.conference"].browse(room_id)._bridge_id()
    start = datetime(2026, 1, 5, 9, 0, 0)
    events = [event for index in range(CALLS) for event in call_events(index, bridge_id, start)]
    half = len(events) // 2
    ours = [events[i : i + 500] for i in range(0, half, 500)]
    plain = [[event] for event in _renamed(events[half:], "plain")]
    batched = timed_events_per_second(registry, pbx_id, ours)
    one_by_one = timed_events_per_second(registry, pbx_id, plain)
    print(f"events recorded: {len(events)} ARI events of {CALLS} calls into a room ({len(events) // CALLS} a call)")
    print(f"  batched, one transaction per 500 events (ours): {batched:8.0f} events/s")
    print(f"  one transaction per event (plain way):          {one_by_one:8.0f} events/s")


def _renamed(events, prefix):
    renamed = []
    for event in events:
        channel = dict(event["channel"], id=f"{prefix}-{event['channel']['id']}")
        copy = dict(event, channel=channel)
        if "bridge" in event:
            copy["bridge"] = dict(event["bridge"], channels=[channel["id"]])
        renamed.append(copy)
    return renamed


def bench_invitations(registry, pbx_id, room_id, simulator, latency, rounds=5):
    simulator.delay = latency
    ours, sequential = [], []
    for _round in range(rounds):
        with registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            room = env["telephony.conference"].browse(room_id)
            targets = [{"number": f"+3361100{index:04d}"} for index in range(50)]
            simulator.requests.clear()
            started = time.monotonic()
            room._invite(targets)
            ours.append(_fiftieth_originate(simulator) - started)
            cr.rollback()
            client = env["telephony.pbx"].browse(pbx_id)._ari_client()
            simulator.requests.clear()
            started = time.monotonic()
            for index in range(50):
                client.originate(f"Local/+3361200{index:04d}@from-internal", app_args=["invite", str(room.id), "0"])
            sequential.append(_fiftieth_originate(simulator) - started)
            client.close()
        _hang_up_everything(simulator)
    print(
        f"invite 50 people, PBX answering each request in {latency * 1000:.0f} ms more: time until the 50th"
        f" originate reached the PBX ({rounds} rounds, median)"
    )
    print(f"  concurrent originates from one request (ours): {statistics.median(ours) * 1000:7.1f} ms")
    print(f"  one originate after the other (plain way):     {statistics.median(sequential) * 1000:7.1f} ms")


def _fiftieth_originate(simulator):
    originates = sorted(
        stamp for method, path, stamp in simulator.requests if method == "POST" and path == "/ari/channels"
    )
    return originates[49]


def _hang_up_everything(simulator):
    async def clear():
        for channel in list(simulator.channels.values()):
            await simulator._destroy(channel)

    simulator.call(clear)


def main():
    registry, _options = open_registry(__doc__.splitlines()[0])
    simulator = Simulator(port=0).start()
    try:
        with registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            pbx = env["telephony.pbx"].create(
                {"name": "Bench PBX", "ari_url": simulator.url, "ari_password": "telephony"}
            )
            room = env["telephony.conference"].create({"name": "Bench room", "extension": "8801", "pbx_id": pbx.id})
            pbx_id, room_id = pbx.id, room.id
        bench_events(registry, pbx_id, room_id)
        for latency in (0.0, 0.02):
            bench_invitations(registry, pbx_id, room_id, simulator, latency)
    finally:
        simulator.stop()


if __name__ == "__main__":
    main()
