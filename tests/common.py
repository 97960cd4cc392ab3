import time

import requests

from odoo.tests import TransactionCase, new_test_user

from ..cli.telephony_listener import PbxListener
from ..pbx.simulator import Simulator


def sim_control(simulator, path, **params):
    """Play the outside world on the simulator (a caller dials, a phone's keypad, a hangup...)."""
    response = requests.post(f"{simulator.url}/_sim/{path}", params=params, auth=("telephony", "telephony"), timeout=5)
    response.raise_for_status()
    return response.json() if response.content else None


class SharedCursorMixin:
    """For HttpCase tests that run a listener thread: in test mode it shares the test's cursor, so
    the test reads only while holding the registry's test lock, and waits by polling."""

    def _read(self, function):
        with self.registry.test_lock:
            self.env.invalidate_all()
            return function()

    def authenticate(self, user, password, browser=None):
        # Logging the tour's browser in flushes the test cursor from this thread: a listener thread writing
        # on the same cursor meanwhile (its heartbeat, a batch) would interleave statements with it.
        with self.registry.test_lock:
            return super().authenticate(user, password, browser=browser)

    def _start_listener(self, pbx=None, timeout=20):
        """Run the listener of ``pbx`` (the class's PBX by default) in a thread until the test ends; return it
        once it holds its PBX."""
        listener = PbxListener(self.registry, (pbx or self.pbx).id, standby_poll=0.2)
        listener.start()
        self.addCleanup(listener.join, 15)
        self.addCleanup(listener.stop)
        self.assertTrue(listener.active.wait(timeout), "the listener took its PBX")
        return listener

    def _wait_for_first_look(self, simulator):
        """The listener's first transaction reads what the PBX has live: let it end before the test places calls."""
        self._wait_until(
            lambda: ("GET", "/ari/channels") in {(method, path) for method, path, _ in list(simulator.requests)},
            message="the listener's first look at the PBX",
        )

    def _wait_until(self, function, timeout=20, message="condition"):
        deadline = time.monotonic() + timeout
        while True:
            value = self._read(function)
            if value:
                return value
            self.assertLess(time.monotonic(), deadline, f"timed out waiting for {message}")
            time.sleep(0.1)


class SimulatedPbxListenerMixin(SharedCursorMixin):
    """For HttpCase tests through the listener: the class's only active PBX, and in each test a simulator over real
    sockets with the listener on it, once it has had its first look at the PBX."""

    @classmethod
    def _create_simulated_pbx(cls):
        cls.env["telephony.pbx"].search([]).active = False
        cls.pbx = cls.env["telephony.pbx"].create(
            {"name": "Simulated PBX", "ari_url": "http://127.0.0.1:9", "ari_password": "telephony", "timeout": 3}
        )

    def _start_simulator_and_listener(self, **simulator_options):
        self.simulator = Simulator(port=0, **simulator_options).start()
        self.addCleanup(self.simulator.stop)
        self.pbx.ari_url = self.simulator.url
        self.env.flush_all()
        self._start_listener()
        self._wait_for_first_look(self.simulator)


class TelephonyCase(TransactionCase):
    """Two companies, telephony users and a manager, a PBX and a room per test class."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env["res.company"].create({"name": "Telephony FR", "country_id": cls.env.ref("base.fr").id})
        cls.other_company = cls.env["res.company"].create(
            {"name": "Telephony BE", "country_id": cls.env.ref("base.be").id}
        )
        cls.user_anna = cls._new_user("anna_t", "telephony.group_telephony_user", extension="201")
        cls.user_boris = cls._new_user("boris_t", "telephony.group_telephony_user", extension="202")
        cls.manager = cls._new_user("chloe_t", "telephony.group_telephony_manager", extension="203")
        cls.plain_user = cls._new_user("dan_t", "base.group_user")
        cls.pbx = cls.env["telephony.pbx"].create(
            {
                "name": "Test PBX",
                "ari_url": "http://127.0.0.1:9",
                "ari_password": "secret",
                "company_id": cls.company.id,
            }
        )
        cls.room = cls.env["telephony.conference"].create(
            {
                "name": "Board",
                "extension": "8001",
                "access_code": "2468",
                "administrator_id": cls.user_anna.id,
                "wait_for_administrator": True,
                "pbx_id": cls.pbx.id,
                "company_id": cls.company.id,
            }
        )

    def _hear_user_events(self):
        """Hear the application's user events as the listener's router would: what Odoo asks of it lands in
        ``self.sent`` as ``(event name, fields)``."""
        self.sent = []
        client = self.pbx._ari_client()
        stream = client.start_event_stream(self._heard_user_event, backoff_base=0.1)
        self.addCleanup(client.close)
        self.addCleanup(stream.stop)
        self.assertTrue(stream.wait_connected(10))

    def _heard_user_event(self, event):
        if event.get("type") == "ChannelUserevent":
            self.sent.append((event["eventname"], event["userevent"]))

    @classmethod
    def _new_user(cls, login, groups, extension=False):
        user = new_test_user(
            cls.env,
            login=login,
            groups=groups,
            company_id=cls.company.id,
            company_ids=[(6, 0, [cls.company.id])],
        )
        if extension:
            user.telephony_extension = extension
        return user

    @classmethod
    def _new_call(cls, unique_id, user, **values):
        return cls.env["telephony.call"].create(
            {
                "pbx_id": cls.pbx.id,
                "pbx_unique_id": unique_id,
                "direction": "inbound",
                "user_id": user.id,
                "caller_number": "+33 6 12 34 56 78",
                "called_number": user.telephony_extension,
                "company_id": cls.company.id,
                **values,
            }
        )
