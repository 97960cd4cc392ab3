"""Fixtures: a PBX to talk to over real sockets — the simulator, or a real Asterisk when
TELEPHONY_ARI_URL (with TELEPHONY_ARI_USER, TELEPHONY_ARI_PASSWORD, TELEPHONY_ARI_APP) names one."""

import os
import threading
import time
import uuid

import pytest
import requests

from pbx.ari import AriClient
from pbx.simulator import Simulator

REAL_ASTERISK_URL = os.environ.get("TELEPHONY_ARI_URL")


class EventLog:
    """Collects the events of one application and waits for the ones a test expects."""

    def __init__(self):
        self.events = []
        self._changed = threading.Condition()

    def __call__(self, event):
        with self._changed:
            self.events.append(event)
            self._changed.notify_all()

    def wait_for(self, kind, channel_id=None, timeout=10.0, **fields):
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for event in self.events:
                    if self._matches(event, kind, channel_id, fields):
                        return event
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = [(event["type"], (event.get("channel") or {}).get("id")) for event in self.events]
                    raise AssertionError(f"no {kind} for {channel_id} within {timeout}s; seen: {seen}")
                self._changed.wait(remaining)

    def of(self, kind, channel_id=None):
        return [event for event in self.events if self._matches(event, kind, channel_id, {})]

    @staticmethod
    def _matches(event, kind, channel_id, fields):
        if event.get("type") != kind:
            return False
        if channel_id and (event.get("channel") or {}).get("id") != channel_id:
            return False
        return all(event.get(name) == value for name, value in fields.items())


class Pbx:
    """The PBX under test and what the tests may do to it from outside."""

    def __init__(self, url, user, password, app, simulator=None):
        self.url, self.user, self.password, self.app = url, user, password, app
        self.simulator = simulator

    @property
    def is_simulator(self):
        return self.simulator is not None

    def client(self, **options):
        return AriClient(self.url, self.user, self.password, app=self.app, **options)

    def endpoint(self, behaviour):
        """An endpoint that answers, is busy or never answers."""
        if self.is_simulator:
            return {"answers": "PJSIP/101", "busy": "PJSIP/486", "no_answer": "PJSIP/408"}[behaviour]
        return {
            "answers": "Local/101@telephony-test",
            "busy": "Local/486@telephony-test",
            "no_answer": "Local/408@telephony-test",
        }[behaviour]

    def control(self, path, **params):
        if not self.is_simulator:
            self._refuse_to_skip_with_calls_up()
            pytest.skip("needs a simulated phone")
        response = requests.post(f"{self.url}/_sim/{path}", params=params, auth=(self.user, self.password), timeout=5)
        response.raise_for_status()
        return response.json() if response.content else None

    def calls_in_the_application(self):
        """The channels of this test run's application still in Stasis on a real Asterisk."""
        client = self.client(timeout=5)
        try:
            channels = client.list_channels()
        finally:
            client.close()
        return [
            channel["id"]
            for channel in channels
            if channel["dialplan"]["app_name"] == "Stasis" and channel["dialplan"]["app_data"].split(",")[0] == self.app
        ]

    def _refuse_to_skip_with_calls_up(self):
        # a skip after placing a call leaves it answered in Stasis on the real PBX for minutes: fail instead
        stranded = self.calls_in_the_application()
        if stranded:
            client = self.client(timeout=5)
            try:
                for channel_id in stranded:
                    client.hangup_if_present(channel_id)
            finally:
                client.close()
            pytest.fail("this test placed a call before finding out it needs a simulated phone: skip first")


@pytest.fixture
def simulated_phone(pbx):
    """Skips, before the test places any call, a test that needs a phone the simulator fakes."""
    if not pbx.is_simulator:
        pytest.skip("needs a simulated phone")


@pytest.fixture
def pbx():
    if REAL_ASTERISK_URL:
        app = os.environ.get("TELEPHONY_ARI_APP", "telephony") + "-" + uuid.uuid4().hex[:6]
        yield Pbx(
            REAL_ASTERISK_URL,
            os.environ.get("TELEPHONY_ARI_USER", "telephony"),
            os.environ.get("TELEPHONY_ARI_PASSWORD", "telephony"),
            app,
        )
        return
    simulator = Simulator(port=0, endpoints={"109": {"answer_after": 30}}).start()
    try:
        yield Pbx(simulator.url, "telephony", "telephony", "telephony", simulator)
    finally:
        simulator.stop()


@pytest.fixture
def client(pbx):
    client = pbx.client(timeout=3)
    yield client
    client.close()


@pytest.fixture
def events(pbx, client):
    log = EventLog()
    stream = client.start_event_stream(log, backoff_base=0.1, backoff_cap=0.5)
    assert stream.wait_connected(10), "the event stream did not connect"
    yield log
    stream.stop()
