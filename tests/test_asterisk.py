import json
import os
import subprocess
import tempfile
import threading
import time
import uuid
from pathlib import Path
from unittest import skipUnless
from urllib.parse import urlencode

import requests
import websocket

from odoo.tests import HttpCase, tagged

from ..pbx.ari import AriClient
from .common import SharedCursorMixin

ASTERISK_URL = os.environ.get("TELEPHONY_ARI_URL")
ARI_USER = os.environ.get("TELEPHONY_ARI_USER", "telephony")
ARI_PASSWORD = os.environ.get("TELEPHONY_ARI_PASSWORD", "telephony")
SCENARIOS = Path(__file__).parent / "asterisk"
OUTSIDE_CALLER = "+33612345678"


@tagged("post_install", "-at_install")
@skipUnless(ASTERISK_URL, "set TELEPHONY_ARI_URL (and _USER, _PASSWORD) to run against a real Asterisk")
class TestRealAsterisk(SharedCursorMixin, HttpCase):
    """A room with an access code and wait-for-administrator, end to end through the model methods,
    on a real Asterisk 22 whose context telephony-test has extensions 101-105 that answer (README)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["telephony.pbx"].search([]).active = False
        cls.pbx = cls.env["telephony.pbx"].create(
            {
                "name": "Real Asterisk",
                "ari_url": ASTERISK_URL,
                "ari_user": ARI_USER,
                "ari_password": ARI_PASSWORD,
                "ari_app": f"telephony-e2e-{uuid.uuid4().hex[:6]}",
                "internal_dial_template": os.environ.get("TELEPHONY_ARI_DIAL", "Local/{number}@telephony-test"),
            }
        )
        users = cls.env["res.users"].with_context(no_reset_password=True)
        users.search([("telephony_extension", "in", ["101", "102"])]).telephony_extension = False
        groups = [(6, 0, [cls.env.ref("telephony.group_telephony_user").id])]
        cls.caller = users.create(
            {
                "name": "Early Caller",
                "login": "early_e2e",
                "groups_id": groups,
                "telephony_enabled": True,
                "telephony_extension": "101",
            }
        )
        cls.admin = users.create(
            {
                "name": "Room Admin",
                "login": "admin_e2e",
                "groups_id": groups,
                "telephony_enabled": True,
                "telephony_extension": "102",
            }
        )
        cls.room = cls.env["telephony.conference"].create(
            {
                "name": "E2E room",
                "extension": "7801",
                "access_code": "2468",
                "administrator_id": cls.admin.id,
                "wait_for_administrator": True,
                "pbx_id": cls.pbx.id,
            }
        )

    def _dial_and_type_code(self, user):
        with self.registry.test_lock:
            call = self.env["telephony.call"].browse(
                self.env["telephony.call"].with_user(user).action_dial("7801")["id"]
            )
        participant = self.env["telephony.conference.participant"]
        for _attempt in range(10):
            time.sleep(1.0)  # the phone answers, then the receptionist prompts
            with self.registry.test_lock:
                call.with_user(user).action_send_dtmf("2468#")
            if self._read(lambda: participant.search([("channel_id", "=", call.pbx_unique_id)])):
                break
        # The listener thread shares the test's cursor: read under the test lock, as _read does.
        return call, self._read(lambda: participant.search([("channel_id", "=", call.pbx_unique_id)]))

    def test_room_with_code_waits_for_its_administrator(self):
        self._start_listener()
        early_call, early = self._dial_and_type_code(self.caller)
        self._wait_until(lambda: early.state == "waiting", message="the early caller on hold")
        self.assertEqual(self._read(lambda: self.room.state), "waiting")
        admin_call, admin = self._dial_and_type_code(self.admin)
        self._wait_until(lambda: admin.state == "joined" and early.state == "joined", message="the room opening")
        self.assertTrue(self._read(lambda: admin.is_administrator))
        self.assertEqual(self._read(lambda: self.room.state), "running")
        with self.registry.test_lock:
            self.room.with_user(self.admin).action_kick(early.id)
        self._wait_until(lambda: early.state == "left" and early_call.end_date, message="the kick")
        with self.registry.test_lock:
            admin.with_user(self.admin).action_leave()
        self._wait_until(lambda: self.room.state == "idle" and admin_call.end_date, message="the room emptying")
        self.assertEqual(self._read(lambda: admin_call.state), "answered")

    def test_meeting_journals_one_row_per_leg_with_talk_time(self):
        """A meeting from the Employees list: the creator and every employee are called at once, and each leg
        is a journal row of the meeting, answered, with its talk time (issue 10, item 6)."""
        self._start_listener()
        with self.registry.test_lock:
            users = self.env["res.users"].with_context(no_reset_password=True)
            users.search([("telephony_extension", "in", ["103", "104"])]).telephony_extension = False
            employees = self.env["hr.employee"]
            for extension in ("103", "104"):
                user = users.create({"name": f"Employee {extension}", "login": f"e2e_{extension}"})
                user.telephony_extension = extension
                employees |= self.env["hr.employee"].create({"name": user.name, "user_id": user.id})
            meetings = self.env["telephony.conference"].with_user(self.caller)
            meeting = meetings.browse(meetings.action_start_meeting(employees.ids, name="E2E meeting")["id"])
        participants = meeting.participant_ids
        self._wait_until(
            lambda: len(participants) == 3 and set(participants.mapped("state")) == {"joined"},
            timeout=30,
            message="everyone in the meeting",
        )
        time.sleep(3)
        with self.registry.test_lock:
            meeting.with_user(self.caller).action_end()
        calls = self.env["telephony.call"]
        legs = self._wait_until(
            lambda: (
                (legs := calls.search([("conference_id", "=", meeting.id)])) and all(legs.mapped("end_date")) and legs
            ),
            timeout=30,
            message="every leg ended",
        )
        with self.registry.test_lock:
            self.assertEqual(len(legs), 3, "one row per leg")
            self.assertEqual(set(legs.mapped("state")), {"answered"})
            self.assertTrue(all(seconds >= 2 for seconds in legs.mapped("talk_seconds")), legs.mapped("talk_seconds"))
            self.assertEqual(set(legs.mapped("called_number")), {"101", "103", "104"})


class Phone:
    """One sipp phone playing a scenario of tests/asterisk/ (see each file for what it does)."""

    def __init__(self, scenario, *arguments, keys=""):
        command = ["sipp", "-sf", str(SCENARIOS / scenario), "-i", "127.0.0.1", "-m", "1", "-nostdin", *arguments]
        for position, key in enumerate(keys, 1):
            command += ["-key", f"d{position}", key]
        self.directory = tempfile.mkdtemp(prefix="telephony-sipp-")  # sipp writes its logs where it runs
        self.process = subprocess.Popen(
            command, cwd=self.directory, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
        self.process.wait(5)


def answering_phone(extension, keys="", ring_ms=300):
    """The phone of ``extension`` (a PJSIP endpoint whose contact is 127.0.0.1:5000+extension) answers."""
    scenario = "uas_answer_dtmf.xml" if keys else "uas_answer.xml"
    return Phone(scenario, "-p", str(5000 + int(extension)), "-d", str(ring_ms), keys=keys)


def calling_phone(caller, dialled, name, keys="", rounds=1, pause_ms=3000):
    """``caller`` (an extension, or any other number: the trunk) calls ``dialled``, then types ``keys``
    ``rounds`` times, ``pause_ms`` after the answer and between rounds."""
    scenario = {1: "uac_code.xml", 3: "uac_code_3x.xml"}[rounds] if keys else "uac_call.xml"
    port = 6000 + int(caller) if caller.isdigit() and len(caller) <= 3 else 6300
    arguments = [os.environ.get("TELEPHONY_SIP", "127.0.0.1:5060"), "-p", str(port), "-s", dialled]
    arguments += ["-key", "caller", caller, "-key", "caller_name", name, "-d", str(pause_ms)]
    return Phone(scenario, *arguments, keys=keys)


class EventWatcher(threading.Thread):
    """The events of the channels it follows, through a second ARI application: unlike a second socket on the
    listener's application, it steals nothing. (Not subscribeAll: closing such a socket while device states
    change deadlocks Asterisk 22.10.1's ARI.)"""

    def __init__(self):
        super().__init__(daemon=True)
        self.app = f"watch-{uuid.uuid4().hex[:6]}"
        query = urlencode({"app": self.app, "api_key": f"{ARI_USER}:{ARI_PASSWORD}"})
        self.socket = websocket.create_connection(
            f"{ASTERISK_URL.replace('http', 'ws', 1)}/ari/events?{query}", timeout=10
        )
        self.socket.settimeout(None)
        self.events = []

    def follow(self, channel_id):
        requests.post(
            f"{ASTERISK_URL}/ari/applications/{self.app}/subscription",
            params={"eventSource": f"channel:{channel_id}"},
            auth=(ARI_USER, ARI_PASSWORD),
            timeout=5,
        ).raise_for_status()

    def run(self):
        while True:
            try:
                message = self.socket.recv()
            except (websocket.WebSocketException, OSError):
                return
            if not message:
                return
            self.events.append(json.loads(message))

    def close(self):
        self.socket.close()
        self.join(5)

    def of(self, kind, channel_id):
        return [
            event
            for event in list(self.events)
            if event["type"] == kind
            and (
                (event.get("channel") or {}).get("id") == channel_id
                or (event.get("playback") or {}).get("target_uri") == f"channel:{channel_id}"
            )
        ]


@tagged("post_install", "-at_install")
@skipUnless(ASTERISK_URL, "set TELEPHONY_ARI_URL (and _USER, _PASSWORD) to run against a real Asterisk")
class TestRealAsteriskPhones(SharedCursorMixin, HttpCase):
    """Calls between sipp phones through the README's dial plan on a real Asterisk 22, the listener running.

    Needs the README's extensions.conf (application TELEPHONY_ARI_APP, default telephony), PJSIP endpoints 201-203
    with contacts on 127.0.0.1:5201-5203 and dtmf_mode=info, and callers that are no endpoint sent to the trunk
    (README, "Running the client tests against a real Asterisk")."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["telephony.pbx"].search([]).active = False
        cls.pbx = cls.env["telephony.pbx"].create(
            {
                "name": "Real Asterisk with phones",
                "ari_url": ASTERISK_URL,
                "ari_user": ARI_USER,
                "ari_password": ARI_PASSWORD,
                "ari_app": os.environ.get("TELEPHONY_ARI_APP", "telephony"),
                "internal_dial_template": "PJSIP/{number}",
            }
        )
        users = cls.env["res.users"].with_context(no_reset_password=True)
        users.search([("telephony_extension", "in", ["201", "202", "203"])]).telephony_extension = False
        groups = [(6, 0, [cls.env.ref("telephony.group_telephony_user").id])]

        def user(name, login, extension):
            values = {"name": name, "login": login, "groups_id": groups, "telephony_enabled": True}
            return users.create(dict(values, telephony_extension=extension))

        cls.rita = user("Rita Phone", "rita_e2e", "201")
        cls.boris = user("Boris Phone", "boris_e2e", "202")
        cls.paul = user("Paul Phone", "paul_e2e", "203")
        cls.room = cls.env["telephony.conference"].create(
            {
                "name": "Board room",
                "extension": "7802",
                "access_code": "2468",
                "administrator_id": cls.paul.id,
                "wait_for_administrator": True,
                "pbx_id": cls.pbx.id,
            }
        )

    def setUp(self):
        super().setUp()
        self.ari = AriClient(ASTERISK_URL, ARI_USER, ARI_PASSWORD, app=self.pbx.ari_app, timeout=5)
        self.addCleanup(self.ari.close)
        self.phones = []
        self.addCleanup(self._stop_phones)
        self.addCleanup(self._destroy_bridges_left)
        self.addCleanup(self._hang_up_what_is_left)
        self.watcher = EventWatcher()
        self.watcher.start()
        self.addCleanup(self.watcher.close)
        self.addCleanup(self._forget_outage_records)  # runs once the listener stopped
        self.listener = self._start_listener()

    # -- helpers ---------------------------------------------------------------------------------

    def _kill_and_restart_listener(self):
        """What a kill -9 of the listener looks like from Asterisk: its websocket goes, nothing else happens."""
        self.listener.stop()
        self.listener.join(15)
        self.assertFalse(self.listener.is_alive())
        self.listener = self._start_listener()

    def _phone(self, phone):
        self.phones.append(phone)
        return phone

    def _stop_phones(self):
        for phone in self.phones:
            phone.stop()

    def _hang_up_what_is_left(self):
        for channel in self.ari.list_channels():
            if channel["dialplan"]["app_data"].split(",")[0] == self.pbx.ari_app:
                self.ari.hangup_if_present(channel["id"])

    def _destroy_bridges_left(self):
        """A room bridge whose last caller hung up after the listener stopped stays on the PBX: a later listener
        of the same database would destroy it, but each test run has a database of its own."""
        prefix = self._read(lambda: self.env["telephony.conference"]._bridge_prefix())
        for bridge in self.ari.list_bridges():
            if bridge["id"].startswith(prefix):
                self.ari.destroy_bridge_if_present(bridge["id"])

    def _forget_outage_records(self):
        """Delete the outage records a failed test left in astdb, which a later run's listener would journal:
        the README's drain and forget contexts, through the watcher's application."""
        client = AriClient(ASTERISK_URL, ARI_USER, ARI_PASSWORD, app=self.watcher.app, timeout=5)
        drain = f"drain-{uuid.uuid4().hex[:8]}"
        try:
            client.originate("Local/drain@telephony-outage-drain", channel_id=drain)
            self._wait_for_pbx(lambda: client.get_channel(drain)["state"] == "Up", "the drain channel")
            records = requests.get(
                f"{ASTERISK_URL}/ari/channels/{drain};2/variable",
                params={"variable": "TELEPHONY_OUTAGE"},
                auth=(ARI_USER, ARI_PASSWORD),
                timeout=5,
            ).json()["value"]
            for record in filter(None, records.split("|")):
                client.originate(f"Local/{record.split('=')[0]}@telephony-outage-forget")
            client.hangup_if_present(drain)
        finally:
            client.close()

    def _journal(self):
        return self.env["telephony.call"].search([("pbx_id", "=", self.pbx.id)])

    def _call_from(self, number):
        """The journal row of the call ``number`` placed, once the listener journaled it."""
        return self._wait_until(
            lambda: self._journal().filtered(lambda call: call.caller_number == number)[:1],
            message=f"the call from {number} in the journal",
        )

    def _participant(self, channel_id):
        return self.env["telephony.conference.participant"].search([("channel_id", "=", channel_id)])

    def _wait_for_pbx(self, predicate, message, timeout=20):
        deadline = time.monotonic() + timeout
        while not predicate():
            self.assertLess(time.monotonic(), deadline, f"timed out waiting for {message}")
            time.sleep(0.2)

    def _bridged_together(self, *channel_ids):
        return any(set(channel_ids) <= set(bridge["channels"]) for bridge in self.ari.list_bridges())

    def _app_channels(self):
        return [c for c in self.ari.list_channels() if c["dialplan"]["app_data"].split(",")[0] == self.pbx.ari_app]

    def _assert_one_row_per_conversation(self, expected):
        with self.registry.test_lock:
            self.env.invalidate_all()
            rows = self._journal()
            self.assertEqual(
                len(rows), 1, f"one journal row per conversation, got {rows.mapped(lambda c: c.called_number)}"
            )
            self.assertRecordValues(rows, [expected])

    # -- tests -----------------------------------------------------------------------------------

    def test_user_calls_a_colleague_one_row_names_both(self):
        self._phone(answering_phone("201"))
        self._phone(answering_phone("202"))
        with self.registry.test_lock:
            call = self.env["telephony.call"].browse(
                self.env["telephony.call"].with_user(self.rita).action_dial("202")["id"]
            )
            rita_leg = call.pbx_unique_id
        boris_leg = f"{rita_leg}-peer"
        self._wait_for_pbx(lambda: self._bridged_together(rita_leg, boris_leg), "Rita and Boris talking")
        time.sleep(1.0)
        self.ari.hangup(rita_leg)
        self._wait_until(lambda: call.end_date, message="the call ending")
        self._wait_for_pbx(lambda: not self._app_channels(), "both legs gone")
        self._assert_one_row_per_conversation(
            {
                "user_id": self.rita.id,
                "answered_user_id": self.boris.id,
                "called_number": "202",
                "state": "answered",
            }
        )

    def test_outside_caller_forwarded_to_a_user_one_row(self):
        self._phone(answering_phone("201"))
        self._phone(calling_phone(OUTSIDE_CALLER, "201", "Alice Martin"))
        call = self._call_from(OUTSIDE_CALLER)
        caller_leg = self._read(lambda: call.pbx_unique_id)
        rita_leg = f"{caller_leg}-peer"
        self._wait_for_pbx(lambda: self._bridged_together(caller_leg, rita_leg), "the caller talking to Rita")
        shown_to_rita = self.ari.get_channel(rita_leg)["caller"]["name"]
        time.sleep(1.0)
        self.ari.hangup(caller_leg)
        self._wait_until(lambda: call.end_date, message="the call ending")
        self._wait_for_pbx(lambda: not self._app_channels(), "both legs gone")
        with self.subTest("one row"):
            self._assert_one_row_per_conversation(
                {
                    "direction": "inbound",
                    "caller_number": OUTSIDE_CALLER,
                    "called_number": "201",
                    "answered_user_id": self.rita.id,
                    "state": "answered",
                }
            )
        with self.subTest("caller's name"):
            self.assertEqual(shown_to_rita, "Alice Martin", "Rita's phone shows who calls")

    def test_three_wrong_codes_hear_the_whole_goodbye_and_are_not_answered(self):
        self._phone(calling_phone(OUTSIDE_CALLER, "7802", "Alice Martin", keys="1111#", rounds=3))
        call = self._call_from(OUTSIDE_CALLER)
        caller_leg = self._read(lambda: call.pbx_unique_id)
        self.watcher.follow(caller_leg)
        self._wait_until(lambda: call.end_date, timeout=45, message="the caller sent away after three codes")
        goodbyes = [
            event
            for event in self.watcher.of("PlaybackFinished", caller_leg)
            if event["playback"]["media_uri"] == "sound:vm-goodbye"
        ]
        with self.subTest("the whole goodbye"):
            self.assertTrue(goodbyes, f"a goodbye was played; played: {self._played(caller_leg)}")
            self.assertEqual(
                goodbyes[-1]["playback"]["state"],
                "done",
                f"the goodbye played to its end: {self._timeline(caller_leg)}",
            )
            hangups = self.watcher.of("ChannelHangupRequest", caller_leg)
            self.assertGreaterEqual(hangups[0]["timestamp"], goodbyes[-1]["timestamp"], "hung up after the goodbye")
        with self.subTest("not answered"):
            self.assertFalse(self._read(lambda: self._participant(caller_leg)))
            with self.registry.test_lock:
                self.env.invalidate_all()
                self.assertEqual(call.state, "rejected", "a caller with a wrong code was not answered")
                self.assertEqual(call.talk_seconds, 0)

    def _played(self, channel_id):
        return [
            (event["playback"]["media_uri"], event["playback"]["state"])
            for event in self.watcher.of("PlaybackFinished", channel_id)
        ]

    def _timeline(self, channel_id):
        """What Asterisk told about a channel, for failure messages: time, event, media or cause."""
        kinds = ("PlaybackStarted", "PlaybackFinished", "ChannelHangupRequest", "ChannelDestroyed")
        return [
            (
                event["timestamp"][11:23],
                event["type"],
                (event.get("playback") or {}).get("media_uri", event.get("cause")),
            )
            for kind in kinds
            for event in self.watcher.of(kind, channel_id)
        ]

    def test_waiting_caller_joins_the_administrator_after_a_listener_kill(self):
        self._phone(calling_phone(OUTSIDE_CALLER, "7802", "Alice Martin", keys="2468#"))
        caller_call = self._call_from(OUTSIDE_CALLER)
        caller_leg = self._read(lambda: caller_call.pbx_unique_id)
        self._wait_until(lambda: self._participant(caller_leg).state == "waiting", message="the caller on hold")
        self._kill_and_restart_listener()
        self._phone(calling_phone("203", "7802", "Paul Phone", keys="2468#"))
        admin_call = self._call_from("203")
        admin_leg = self._read(lambda: admin_call.pbx_unique_id)
        self._wait_until(
            lambda: self._participant(caller_leg).state == "joined" and self._participant(admin_leg).state == "joined",
            timeout=30,
            message="the waiting caller joining the administrator",
        )
        self._wait_for_pbx(lambda: self._bridged_together(caller_leg, admin_leg), "both in one bridge")
        self.assertTrue(self._read(lambda: self._participant(admin_leg).is_administrator))

    def test_call_during_a_listener_outage_rings_directly_and_is_journaled_once(self):
        self.listener.stop()
        self.listener.join(15)
        self._phone(answering_phone("202"))
        self._phone(calling_phone("203", "202", "Paul Phone"))
        paul_leg = self._wait_for_channel("PJSIP/203-")
        self._wait_for_pbx(lambda: self.ari.get_channel(paul_leg)["state"] == "Up", "Boris's phone answering directly")
        time.sleep(2.0)
        self.ari.hangup(paul_leg)
        self._wait_for_pbx(lambda: not self._channels_named("PJSIP/20"), "the call ending")
        self.listener = self._start_listener()
        call = self._call_from("203")
        self._kill_and_restart_listener()
        time.sleep(2.0)  # a second (re)connection must not journal the call again
        with self.registry.test_lock:
            self.env.invalidate_all()
            rows = self._journal()
            self.assertEqual(len(rows), 1, "the outage call is journaled once")
            self.assertRecordValues(rows, [{"caller_number": "203", "called_number": "202", "state": "answered"}])
            self.assertGreaterEqual(call.talk_seconds, 1)

    def _channels_named(self, prefix):
        return [channel["id"] for channel in self.ari.list_channels() if channel["name"].startswith(prefix)]

    def _wait_for_channel(self, prefix):
        self._wait_for_pbx(lambda: self._channels_named(prefix), f"a channel {prefix}…")
        return self._channels_named(prefix)[0]
