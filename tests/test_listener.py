import time
from datetime import datetime, timedelta, timezone

import websocket

from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from ..bench import soak
from ..cli.telephony_listener import PbxListener, PbxLock
from ..pbx.simulator import Simulator
from .common import SharedCursorMixin, TelephonyCase, sim_control


@tagged("post_install", "-at_install")
class TestListener(SharedCursorMixin, HttpCase):
    """The listener process against the PBX simulator over real sockets.

    HttpCase puts the registry in test mode: the listener thread's cursors share the test's
    transaction, so what it records is visible here and rolled back afterwards.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["telephony.pbx"].search([]).active = False  # the company's calls go through the simulator
        cls.pbx = cls.env["telephony.pbx"].create(
            {"name": "Simulated PBX", "ari_url": "http://127.0.0.1:9", "ari_password": "telephony", "timeout": 3}
        )
        cls.administrator = cls.env["res.users"].create(
            {"name": "Room Admin", "login": "room_admin_listener", "telephony_extension": "7100"}
        )
        cls.room = cls.env["telephony.conference"].create(
            {
                "name": "Listener room",
                "extension": "7801",
                "access_code": "2468",
                "administrator_id": cls.administrator.id,
                "pbx_id": cls.pbx.id,
            }
        )

    def setUp(self):
        super().setUp()
        self.simulator = Simulator(port=0).start()
        self.addCleanup(self.simulator.stop)
        self.pbx.ari_url = self.simulator.url
        self.env.flush_all()

    def _listener(self):
        listener = PbxListener(self.registry, self.pbx.id, standby_poll=0.2)
        listener.start()
        self.addCleanup(self._stop, listener)
        return listener

    def _stop(self, listener):
        listener.stop()
        listener.join(15)
        self.assertFalse(listener.is_alive(), "the listener stops cleanly")

    def _sim(self, path, **params):
        return sim_control(self.simulator, path, **params)

    def _call(self, channel_id):
        return self.env["telephony.call"].search([("pbx_id", "=", self.pbx.id), ("pbx_unique_id", "=", channel_id)])

    def _participant(self, channel_id):
        return self.env["telephony.conference.participant"].search([("channel_id", "=", channel_id)])

    def _join_room(self, listener):
        self.assertTrue(listener.active.wait(15), "the listener took its PBX")
        channel_id = self._sim("calls", dialled="7801", caller="+33612345678")["id"]
        self._wait_until(lambda: self._call(channel_id), message="the call in the journal")
        self._sim(f"channels/{channel_id}/dtmf", digits="2468#")
        self._wait_until(lambda: self._participant(channel_id).state == "joined", message="the caller joining")
        return channel_id

    def test_caller_types_the_code_and_joins_the_room(self):
        listener = self._listener()
        channel_id = self._join_room(listener)
        expected = {"direction": "inbound", "state": "answered", "conference_id": self.room.id, "called_number": "7801"}
        self._read(lambda: self.assertRecordValues(self._call(channel_id), [expected]))
        self.assertEqual(self._read(lambda: self.room.state), "running")
        self._sim(f"channels/{channel_id}/talk", talking=1)
        self._wait_until(lambda: self._participant(channel_id).talking, message="the green border")

    def test_wrong_codes_never_join(self):
        listener = self._listener()
        self.assertTrue(listener.active.wait(15))
        channel_id = self._sim("calls", dialled="7801", caller="+33612345679")["id"]
        self._sim(f"channels/{channel_id}/dtmf", digits="1#2#3#")
        self._wait_until(lambda: self._call(channel_id).end_date, message="the caller hung up after three tries")
        self.assertFalse(self._read(lambda: self._participant(channel_id)))

    def test_websocket_drop_loses_nothing(self):
        listener = self._listener()
        channel_id = self._join_room(listener)
        self._sim("drop")
        self._sim(f"channels/{channel_id}/hangup")
        self._wait_until(
            lambda: self._participant(channel_id).state == "left", message="the hangup seen after the drop"
        )
        self._wait_until(lambda: self._call(channel_id).end_date, message="the call closed")
        second = self._join_room(listener)
        self.assertEqual(self._read(lambda: self._participant(second).state), "joined")

    def test_restart_rebuilds_live_state(self):
        first = self._listener()
        channel_id = self._join_room(first)
        self._stop(first)
        self._sim(f"channels/{channel_id}/hangup")
        self.assertEqual(self._read(lambda: self._participant(channel_id).state), "joined", "nobody listened")
        self._listener()
        self._wait_until(lambda: self._participant(channel_id).state == "left", message="the rebuild")
        self.assertEqual(self._read(lambda: self.room.state), "idle")
        self.assertEqual(self._read(lambda: self._call(channel_id).state), "answered")

    def test_calls_while_nobody_listened_are_journaled_once_from_the_pbx(self):
        refused = self._sim("calls", dialled="7100", caller="+33612345670", talk=1)
        self.assertEqual(refused["stasis_status"], "FAILED", "no listener: Stasis() refuses, the fallback rings 7100")
        self._wait_until(lambda: self.simulator.astdb, message="the fallback's record at hang-up")
        start, end = (int(stamp) for stamp in next(iter(self.simulator.astdb.values())).split(",")[:2])
        listener = self._listener()
        outage_call = self._wait_until(lambda: self._call(f"outage-{refused['id']}"), message="the call journaled")
        expected = {
            "direction": "inbound",
            "state": "answered",
            "caller_number": "+33612345670",
            "called_number": "7100",
            "user_id": self.administrator.id,
            "answered_user_id": self.administrator.id,
            "start_date": datetime.fromtimestamp(start, timezone.utc).replace(tzinfo=None),
            "end_date": datetime.fromtimestamp(end, timezone.utc).replace(tzinfo=None),
        }
        # The listener writes on the test's cursor meanwhile (its heartbeat): read under the test lock.
        self._read(lambda: self.assertRecordValues(outage_call, [expected]))
        self._wait_until(lambda: not self.simulator.astdb, message="the record deleted once journaled")
        self._restart(listener)
        self.assertEqual(len(self._read(lambda: self._call(f"outage-{refused['id']}"))), 1, "journaled once")
        self.assertFalse(self._read(lambda: self._call("telephony-outage-drain")), "the drain channel is no call")

    def test_second_listener_stands_by_then_takes_over(self):
        first = self._listener()
        self.assertTrue(first.active.wait(15))
        second = self._listener()
        time.sleep(1.0)
        self.assertFalse(second.active.is_set(), "only one listener per PBX")
        started = time.monotonic()
        self._stop(first)
        self.assertTrue(second.active.wait(10), "the standby took over within 10 seconds")
        self.assertLess(time.monotonic() - started, 10)
        self._join_room(second)

    def test_another_program_taking_the_application_is_told_to_managers(self):
        """Asterisk gives an application's events to its newest websocket and sends the previous one a single
        ApplicationReplaced: a second database pointed at the same name would silently take every call. The
        listener writes in nobody's language: the managers of a French company read it in French."""
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env["ir.module.module"]._load_module_terms(["telephony"], ["fr_FR"], overwrite=True)
        self.pbx.company_id.partner_id.lang = "fr_FR"
        self.env.flush_all()
        listener = self._listener()
        self.assertTrue(listener.active.wait(15))
        thief = websocket.create_connection(
            f"{self.simulator.url.replace('http', 'ws', 1)}/ari/events?app=telephony&api_key=telephony:telephony"
        )
        self.addCleanup(thief.close)
        with mute_logger("odoo.addons.telephony.cli.telephony_listener"):
            pbx = self._wait_until(lambda: self.pbx.state == "error" and self.pbx, message="the PBX marked in error")
        with self.registry.test_lock:
            self.assertTrue(pbx.last_error.startswith("L'application ARI telephony a été prise"), pbx.last_error)

    def test_lock_is_exclusive_and_released_with_its_connection(self):
        first, second = PbxLock(self.env.cr.dbname, self.pbx.id), PbxLock(self.env.cr.dbname, self.pbx.id)
        self.assertTrue(first.try_acquire())
        self.assertTrue(first.is_held())
        self.assertFalse(second.try_acquire())
        first.release()
        self.assertFalse(first.is_held())
        self.assertTrue(second.try_acquire())
        second.release()

    def test_user_dials_a_room_and_types_the_code_in_odoo(self):
        self.administrator.telephony_enabled = True
        self.env.flush_all()
        listener = self._listener()
        self.assertTrue(listener.active.wait(15))
        with self.registry.test_lock:
            payload = self.env["telephony.call"].with_user(self.administrator).action_dial("7801")
            call = self.env["telephony.call"].browse(payload["id"])
            self.assertRecordValues(
                call, [{"direction": "internal", "conference_id": self.room.id, "state": "ringing"}]
            )
        self._wait_until(lambda: self._code_asked(call), message="the receptionist asking for the code")
        with self.registry.test_lock:
            call.with_user(self.administrator).action_send_dtmf("2468#")
        self._wait_until(lambda: self._participant(call.pbx_unique_id).state == "joined", message="joining")
        self.assertEqual(self._read(lambda: call.state), "answered")
        self.assertTrue(self._read(lambda: self._participant(call.pbx_unique_id).is_administrator))

    def _code_asked(self, call):
        return any(
            method == "POST" and path.endswith(f"{call.pbx_unique_id}/play")
            for method, path, _stamp in list(self.simulator.requests)
        )

    def test_user_calls_a_colleague_who_answers(self):
        self.administrator.telephony_enabled = True
        colleague = self.env["res.users"].create(
            {"name": "Colleague", "login": "colleague_listener", "telephony_extension": "7101"}
        )
        # Read what the test compares before the listener shares the cursor: reading it later, outside the
        # test lock, races the listener thread on the same cursor ("no results to fetch", MissingError).
        colleague_extension = colleague.telephony_extension
        self.env.flush_all()
        listener = self._listener()
        self.assertTrue(listener.active.wait(15))
        with self.registry.test_lock:
            payload = self.env["telephony.call"].with_user(self.administrator).action_dial("7101")
            call = self.env["telephony.call"].browse(payload["id"])
            self.assertEqual(call.user_id, self.administrator)
            channel_id = call.pbx_unique_id
        self._wait_until(lambda: call.state == "answered", message="the colleague answering")
        peer = self.simulator.channels[f"{channel_id}-peer"]
        self.assertTrue(peer.name.startswith("PJSIP/7101"))
        self._sim(f"channels/{peer.id}/hangup")
        self._wait_until(lambda: call.end_date, message="both ends hung up")
        self.assertGreaterEqual(self._read(lambda: call.talk_seconds), 0)
        self.assertFalse(self.simulator.channels, "hanging up one end hangs up the other")
        self.assertEqual(self._read(lambda: call.called_number), colleague_extension)

    def _restart(self, listener):
        """Stop ``listener`` the way a kill -9 looks from the PBX (its socket gone), start a fresh one."""
        self._stop(listener)
        restarted = self._listener()
        self.assertTrue(restarted.active.wait(15), "the new listener took its PBX")
        return restarted

    def _bridge_of(self, channel_id):
        return next((b.id for b in list(self.simulator.bridges.values()) if channel_id in b.channels), None)

    def test_waiting_caller_joins_the_administrator_after_a_restart(self):
        self.room.wait_for_administrator = True
        self.env.flush_all()
        first = self._listener()
        self.assertTrue(first.active.wait(15))
        caller = self._sim("calls", dialled="7801", caller="+33612345671")["id"]
        self._wait_until(lambda: self._call(caller), message="the call in the journal")
        self._sim(f"channels/{caller}/dtmf", digits="2468#")
        self._wait_until(lambda: self._participant(caller).state == "waiting", message="the caller on hold")
        self._restart(first)
        administrator = self._sim("calls", dialled="7801", caller="7100")["id"]
        self._wait_until(lambda: self._call(administrator), message="the administrator's call in the journal")
        self._sim(f"channels/{administrator}/dtmf", digits="2468#")
        self._wait_until(lambda: self._participant(caller).state == "joined", message="the waiting caller joining")
        self.assertEqual(self._bridge_of(caller), self._bridge_of(administrator))
        self.assertFalse(self.simulator.channels[caller].moh, "no more music once in the room")
        self.assertEqual(self._read(lambda: self._call(administrator).state), "answered")

    def test_hangup_while_nobody_listened_ends_the_call_at_the_last_heartbeat(self):
        first = self._listener()
        channel_id = self._join_room(first)
        time.sleep(2.5)  # a heartbeat after the caller joined
        self._stop(first)
        stopped = datetime.now(timezone.utc).replace(tzinfo=None)
        time.sleep(3)
        self._sim(f"channels/{channel_id}/hangup")
        time.sleep(2)
        self._listener()
        end = self._wait_until(lambda: self._call(channel_id).end_date, message="the call closed by the rebuild")
        self.assertLessEqual(end, stopped + timedelta(seconds=1), "closed when the listener last knew it, not later")
        self.assertGreaterEqual(end, stopped - timedelta(seconds=4), "within a heartbeat of the outage's start")
        self.assertEqual(self._read(lambda: self._participant(channel_id).leave_date), end)

    def test_a_ringing_forward_is_awaited_not_rung_again_after_a_restart(self):
        self.simulator.endpoints["7100"] = {"answer_after": 3.0}
        first = self._listener()
        self.assertTrue(first.active.wait(15))
        caller = self._sim("calls", dialled="7100", caller="+33612345672")["id"]
        peer = f"{caller}-peer"
        self._wait_until(lambda: self._call(caller) and peer in self.simulator.channels, message="the callee ringing")
        self._restart(first)
        self._wait_until(lambda: self._bridge_of(caller), message="the caller connected to the callee")
        self.assertEqual(self._bridge_of(caller), self._bridge_of(peer))
        self.assertEqual(list(self.simulator.originated).count(peer), 1, "the callee was rung once")
        self.assertEqual(self._read(lambda: self._call(caller).state), "answered")

    def test_a_connected_forward_hangs_up_both_ends_after_a_restart(self):
        first = self._listener()
        self.assertTrue(first.active.wait(15))
        caller = self._sim("calls", dialled="7100", caller="+33612345673")["id"]
        self._wait_until(lambda: self._bridge_of(f"{caller}-peer"), message="the call connected")
        self._restart(first)
        self._sim(f"channels/{caller}/hangup")
        self._wait_until(lambda: self._call(caller).end_date, message="the call closed")
        self._wait_until(lambda: not self.simulator.channels, message="the callee's leg hung up")
        self._wait_until(lambda: not self.simulator.bridges, message="the call's bridge destroyed")

    def test_soak_with_websocket_drops_loses_nothing(self):
        self.simulator.endpoints.update(soak.endpoints())
        soak.prepare(self.env, self.simulator.url)
        pbx = self.env["telephony.pbx"].search([("name", "=", "Soak PBX")])
        self.env.flush_all()
        listener = PbxListener(self.registry, pbx.id, standby_poll=0.2)
        listener.start()
        self.addCleanup(self._stop, listener)
        self.assertTrue(listener.active.wait(15))
        result = soak.Soak(self.simulator.url, calls=20, room_calls=5, drops=10, concurrency=10).run(
            lambda keys: self._read(lambda: self._journal(pbx, keys))
        )
        report = "\n".join(result.lines())
        self.assertEqual(result.drops, 10, report)
        self.assertEqual(
            (result.unconnected, result.legs_left, result.bridges_left, len(result.journal_mismatches)),
            (0, 0, 0, 0),
            report,
        )

    def _journal(self, pbx, keys):
        calls = self.env["telephony.call"].search([("pbx_id", "=", pbx.id), ("pbx_unique_id", "in", keys)])
        return {call.pbx_unique_id: (call.state, bool(call.end_date)) for call in calls}


@tagged("post_install", "-at_install")
class TestRebuildJournal(TelephonyCase):
    """The journal side of a reconnection, from the PBX's channel and bridge lists."""

    def setUp(self):
        super().setUp()
        self.seen = datetime(2026, 12, 2, 6, 0, 0)
        self.pbx.listener_seen_date = self.seen

    def _open_call(self, channel_id, start):
        return self.env["telephony.call"].create(
            {
                "pbx_id": self.pbx.id,
                "pbx_unique_id": channel_id,
                "company_id": self.company.id,
                "direction": "inbound",
                "caller_number": "+33612345678",
                "called_number": "8001",
                "start_date": start,
            }
        )

    def test_a_call_that_ended_unseen_ends_at_the_last_heartbeat(self):
        call = self._open_call("gone-1", self.seen - timedelta(minutes=5))
        call.write({"state": "answered", "answer_date": self.seen - timedelta(minutes=4)})
        self.pbx._rebuild_live_state([], [])
        self.assertEqual(call.end_date, self.seen, "not the restart time: talk time excludes the outage")

    def test_a_call_that_began_after_the_last_heartbeat_ends_when_it_began(self):
        call = self._open_call("gone-2", self.seen + timedelta(seconds=1))
        self.pbx._rebuild_live_state([], [])
        self.assertRecordValues(call, [{"end_date": self.seen + timedelta(seconds=1), "state": "missed"}])

    def test_a_caller_in_the_room_bridge_is_answered_though_the_event_was_lost(self):
        call = self._open_call("in-room", self.seen - timedelta(minutes=1))
        channel = {"id": "in-room", "state": "Up", "caller": {"number": "+33612345678"}}
        self.pbx._rebuild_live_state([channel], [{"id": self.room._bridge_id(), "channels": ["in-room"]}])
        self.assertRecordValues(call, [{"state": "answered", "answer_date": self.seen, "end_date": False}])
        participant = self.env["telephony.conference.participant"].search([("channel_id", "=", "in-room")])
        self.assertEqual(participant.state, "joined")

    def test_a_caller_the_router_answered_who_hung_up_unseen_is_answered_not_missed(self):
        call = self._open_call("answered-gone", self.seen - timedelta(minutes=2))
        answered = self.seen - timedelta(seconds=110)
        self.pbx._rebuild_live_state([], [], {"answered-gone": answered})
        self.assertRecordValues(call, [{"state": "answered", "answer_date": answered, "end_date": self.seen}])
