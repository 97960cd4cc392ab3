"""Soak: calls through the listener while its events websocket keeps dropping; prints what was lost.

Run through ``bench/run`` (it prepares a database). 200 calls by default, 150 forwarded to users' extensions
and 50 into a room with an access code, up to 20 at once, against the PBX simulator, with 100 forced drops of
the listener's events websocket (``/_sim/drop``) spread over the run. Every phone behaves like a person:
callers wait up to ``PATIENCE_SECONDS`` for the callee, room callers type the code again when nothing
happens, callees pick up after a moment. It prints, and asserts nothing:

- conversations unconnected by a drop: a callee picked up (or a room caller typed the right code) and the
  two never talked;
- legs left up and bridges left on the PBX once every phone hung up;
- journal rows whose state does not match what the phones did (answered when they talked, missed when the
  caller gave up, closed in both cases), one row looked up per caller's channel.

A call placed while the websocket is down is refused by Stasis() and taken by the README's fallback: it is
checked in the journal under ``outage-<channel id>`` once the listener is back.
"""

import random
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import requests

PATIENCE_SECONDS = 15.0
RETYPE_SECONDS = 1.5
ROOM_EXTENSION = "7399"
ROOM_CODE = "2468"
EXTENSIONS = [str(extension) for extension in range(7300, 7310)]
SETTLE_SECONDS = 8.0


@dataclass
class Outcome:
    channel_id: str
    kind: str  # forward, room
    connected: bool = False
    outage: bool = False  # refused by Stasis(): the fallback took it


@dataclass
class SoakResult:
    calls: int = 0
    drops: int = 0
    outage_calls: int = 0
    unconnected: int = 0
    legs_left: int = 0
    bridges_left: int = 0
    journal_mismatches: list = field(default_factory=list)

    def lines(self):
        return [
            f"calls: {self.calls} ({self.outage_calls} placed while the websocket was down: taken by the fallback)",
            f"forced websocket drops: {self.drops}",
            f"conversations unconnected by a drop: {self.unconnected}",
            f"legs left up: {self.legs_left}",
            f"bridges left: {self.bridges_left}",
            f"journal rows not matching what the phones did: {len(self.journal_mismatches)}",
            *(f"  {mismatch}" for mismatch in self.journal_mismatches[:10]),
        ]


def endpoints(seed=0):
    """The simulator's phones for the soak: each extension picks up after its own short delay."""
    rng = random.Random(seed)
    return {extension: {"answer_after": round(rng.uniform(0.3, 2.0), 2)} for extension in EXTENSIONS}


class Soak:
    """Drives the phones of a running simulator (``url``) while a listener serves it."""

    def __init__(self, url, calls=200, room_calls=50, drops=100, concurrency=20, drop_interval=1.2, seed=0):
        self.url = url
        self.calls, self.room_calls, self.drops = calls, room_calls, drops
        self.concurrency, self.drop_interval = concurrency, drop_interval
        self.rng = random.Random(seed)
        self.session = requests.Session()
        self.session.auth = ("telephony", "telephony")
        self._lock = threading.Lock()

    def run(self, journal):
        """Place every call and drop the websocket meanwhile; ``journal(channel_ids)`` answers
        ``{pbx_unique_id: (state, ended)}`` once it is over."""
        kinds = ["room"] * self.room_calls + ["forward"] * (self.calls - self.room_calls)
        self.rng.shuffle(kinds)
        plans = [(kind, self.rng.uniform(1.0, 4.0), self.rng.random() < 0.5) for kind in kinds]
        spacing = self.drops * self.drop_interval / max(1, self.calls)
        result = SoakResult(calls=self.calls)
        dropper = threading.Thread(target=self._drop_repeatedly, args=(result,), daemon=True)
        dropper.start()
        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            futures = []
            for index, plan in enumerate(plans):
                futures.append(pool.submit(self._call, index, *plan))
                time.sleep(spacing)
            outcomes = [future.result() for future in futures]
        dropper.join()
        time.sleep(SETTLE_SECONDS)
        self._measure(result, outcomes, journal)
        return result

    def _drop_repeatedly(self, result):
        for _drop in range(self.drops):
            # Irregular, as network trouble is: drops in step with the phones would hit the same calls every time.
            time.sleep(self.drop_interval * self.rng.uniform(0.5, 1.5))
            self._post("drop")
            result.drops += 1

    def _post(self, path, **params):
        response = self.session.post(f"{self.url}/_sim/{path}", params=params, timeout=10)
        if response.status_code == 404:
            return None  # the channel hung up meanwhile
        response.raise_for_status()
        return response.json() if response.content else None

    def _bridges(self):
        return self.session.get(f"{self.url}/ari/bridges", timeout=10).json()

    def _bridged_with(self, channel_id, predicate):
        return any(channel_id in bridge["channels"] and predicate(bridge) for bridge in self._bridges())

    def _call(self, index, kind, talk_seconds, caller_hangs_up):
        dialled = ROOM_EXTENSION if kind == "room" else self.rng.choice(EXTENSIONS)
        channel = self._post("calls", dialled=dialled, caller=f"+3361000{index:04d}", talk=round(talk_seconds))
        outcome = Outcome(channel["id"], kind)
        if channel.get("stasis_status") == "FAILED":
            outcome.outage = outcome.connected = True  # the fallback phone answers: the simulator plays it out
            return outcome
        if kind == "room":
            outcome.connected = self._join_room(outcome.channel_id)
        else:
            peer = f"{outcome.channel_id}-peer"
            outcome.connected = self._wait(
                lambda: self._bridged_with(outcome.channel_id, lambda b: peer in b["channels"])
            )
        if outcome.connected:
            time.sleep(talk_seconds)
        hanging_up = (
            f"{outcome.channel_id}-peer"
            if outcome.connected and kind == "forward" and not caller_hangs_up
            else outcome.channel_id
        )
        self._post(f"channels/{hanging_up}/hangup")
        return outcome

    def _join_room(self, channel_id):
        """Type the code, and type it again when nothing happens (the keys may have been lost in a drop)."""
        deadline = time.monotonic() + PATIENCE_SECONDS
        while time.monotonic() < deadline:
            time.sleep(0.3)
            self._post(f"channels/{channel_id}/dtmf", digits=f"{ROOM_CODE}#")
            if self._wait(
                lambda: self._bridged_with(channel_id, lambda b: b["id"].startswith("telephony-")),
                self.rng.uniform(RETYPE_SECONDS, 2 * RETYPE_SECONDS),
            ):
                return True
        return False

    def _wait(self, predicate, timeout=PATIENCE_SECONDS):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return True
            time.sleep(0.2)
        return False

    def _measure(self, result, outcomes, journal):
        result.outage_calls = sum(outcome.outage for outcome in outcomes)
        result.unconnected = sum(not outcome.connected for outcome in outcomes)
        result.legs_left = len(self.session.get(f"{self.url}/ari/channels", timeout=10).json())
        result.bridges_left = len(self._bridges())
        keys = {(f"outage-{o.channel_id}" if o.outage else o.channel_id): o for o in outcomes}
        rows = journal(list(keys))
        for key, outcome in keys.items():
            expected = "answered" if outcome.connected else "missed"
            state, ended = rows.get(key, (None, False))
            if state != expected or not ended:
                result.journal_mismatches.append(
                    f"{outcome.kind} {key}: phones {expected}, journal {state} ended={ended}"
                )


def main():
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from bench.common import open_registry  # noqa: PLC0415 - the soak's driver above needs no Odoo
    from pbx.simulator import Simulator  # noqa: PLC0415

    registry, _options = open_registry("Soak the listener with websocket drops.")
    from odoo import api  # noqa: PLC0415

    from odoo.addons.telephony.cli.telephony_listener import PbxListener  # noqa: PLC0415

    simulator = Simulator(port=0, endpoints=endpoints()).start()
    with registry.cursor() as cr:
        pbx_id = prepare(api.Environment(cr, api.SUPERUSER_ID, {}), simulator.url)
    listener = PbxListener(registry, pbx_id, standby_poll=0.2)
    listener.start()
    try:
        if not listener.active.wait(30):
            raise SystemExit("the listener did not take the PBX")
        soak = Soak(simulator.url)
        result = soak.run(lambda keys: _journal(registry, api, pbx_id, keys))
    finally:
        listener.stop()
        listener.join(15)
        simulator.stop()
    print(
        f"Soak: {soak.calls} calls ({soak.calls - soak.room_calls} forwarded, {soak.room_calls} into a room, "
        f"up to {soak.concurrency} at once)"
    )
    for line in result.lines():
        print(line)


def prepare(env, url):
    """The soak's PBX (pointing at the simulator at ``url``), its users' extensions and its room, kept from an
    earlier run on the same database; returns the PBX id."""
    env["telephony.pbx"].search([]).active = False
    pbx = env["telephony.pbx"].create({"name": "Soak PBX", "ari_url": url, "ari_password": "telephony"})
    taken = set(env["res.users"].search([("telephony_extension", "in", EXTENSIONS)]).mapped("telephony_extension"))
    for extension in sorted(set(EXTENSIONS) - taken):
        env["res.users"].create(
            {"name": f"Soak {extension}", "login": f"soak_{extension}", "telephony_extension": extension}
        )
    room = env["telephony.conference"].search([("extension", "=", ROOM_EXTENSION)])
    room = room or env["telephony.conference"].create(
        {"name": "Soak room", "extension": ROOM_EXTENSION, "access_code": ROOM_CODE}
    )
    room.pbx_id = pbx
    return pbx.id


def _journal(registry, api, pbx_id, keys):
    with registry.cursor() as cr:
        env = api.Environment(cr, api.SUPERUSER_ID, {})
        calls = env["telephony.call"].search([("pbx_id", "=", pbx_id), ("pbx_unique_id", "in", keys)])
        return {call.pbx_unique_id: (call.state, bool(call.end_date)) for call in calls}


if __name__ == "__main__":
    main()
