"""The call router as the listener runs it, against the tests' PBX: shared by the router's pure tests."""

import threading
import time

from pbx.conference import CallRouter


class RouterHarness:
    """The router fed by the event stream in its own thread, as in the listener, and the reports it makes.
    A subclass says where a call goes (``route``) and which room a key is (``room``)."""

    room = None

    def __init__(self, pbx, **router_options):
        self.pbx = pbx
        self.client = pbx.client(timeout=3)
        self.reports = []
        self.lock = threading.Lock()
        self.router = CallRouter(
            self.client, self.route, self.reports.append, room_for_key=lambda key: self.room, **router_options
        )
        self.stream = self.client.start_event_stream(self.on_event, backoff_base=0.1, backoff_cap=0.5)
        assert self.stream.wait_connected(10)
        with self.lock:
            self.router.reconcile(self.client.list_channels(), self.client.list_bridges())

    def route(self, dialled, caller, outbound):
        raise NotImplementedError

    def on_event(self, event):
        with self.lock:
            self.router.handle(event)

    def stop(self):
        self.stream.stop()
        self.client.close()

    def wait(self, predicate, message, timeout=10):
        deadline = time.monotonic() + timeout
        while not predicate():
            assert time.monotonic() < deadline, f"timed out: {message}; reports: {self.reports}"
            time.sleep(0.05)

    def bridge_of(self, channel_id):
        return next((b.id for b in list(self.pbx.simulator.bridges.values()) if channel_id in b.channels), None)
