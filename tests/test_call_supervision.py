import json
import time
from datetime import datetime, timedelta

from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from ..pbx.simulator import Simulator
from ..pbx.supervision import SUPERVISE_EVENT, SUPERVISION_REPORT
from .common import TelephonyCase

CALL_ID = "1796000000.1"
ANNA_LEG = f"{CALL_ID}-peer"


def _event(kind, second, channel_id, **extra):
    stamp = datetime(2026, 3, 2, 9, 0, 0) + timedelta(seconds=second)
    channel = {"id": channel_id, "name": "PJSIP/203-00000001", "state": "Up", "caller": {"name": "", "number": ""}}
    return {"type": kind, "timestamp": stamp.strftime("%Y-%m-%dT%H:%M:%S.000+0000"), "channel": channel, **extra}


@tagged("post_install", "-at_install")
class TestCallSupervision(TelephonyCase):
    """Listen, whisper and barge from the live-calls board: who may, what reaches the PBX (the simulator, over real
    sockets), the audit rows the PBX's events write, and the board's list and bus notifications."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, allowed_company_ids=[cls.company.id]))
        cls.user_anna.name = "Anna Smith"
        cls.other_manager = new_test_user(
            cls.env,
            login="olga_t",
            groups="telephony.group_telephony_manager",
            company_id=cls.other_company.id,
            company_ids=[(6, 0, [cls.other_company.id])],
        )
        cls.other_manager.telephony_extension = "204"

    def setUp(self):
        super().setUp()
        self.simulator = Simulator(port=0).start()
        self.addCleanup(self.simulator.stop)
        self.pbx.write({"ari_url": self.simulator.url, "ari_password": "telephony", "timeout": 2})
        self._hear_user_events()
        # Anna answered a customer's call: the customer's channel keys the call, Anna's phone is its peer leg.
        self.call = self._new_call(
            CALL_ID,
            self.user_anna,
            state="answered",
            answered_user_id=self.user_anna.id,
            start_date=datetime(2026, 3, 2, 8, 59, 50),
            answer_date=datetime(2026, 3, 2, 8, 59, 55),
        )

    def _supervise(self, mode="listen", user=None):
        self.call.with_user(user or self.manager).action_supervise(mode)
        return self.env["telephony.call.supervision"].search([("call_id", "=", self.call.id)], order="id desc")[:1]

    def _answered(self, row, mode=None):
        """The supervisor picked up and the router put them in their mode, as the listener records it."""
        self.pbx._apply_ari_events(
            [
                _event("StasisStart", 10, row.channel_id, args=["supervise", ANNA_LEG, row.mode]),
                _event(SUPERVISION_REPORT, 10, row.channel_id, mode=mode or row.mode, key="k-1"),
            ]
        )

    def _bus(self):
        """The notifications sent since the last look."""
        self.env.cr.precommit.run()
        notifications = self.env["bus.bus"].sudo().search([])
        sent = [(json.loads(bus.channel), json.loads(bus.message)) for bus in notifications]
        notifications.unlink()
        return sent

    # ------------------------------------------------------------------
    # Ringing the supervisor
    # ------------------------------------------------------------------

    def test_listen_rings_the_manager_s_phone_saying_what_it_is(self):
        row = self._supervise("listen")
        leg = self.simulator.channels[row.channel_id]
        self.assertTrue(leg.name.startswith("PJSIP/203-"), "the manager's own extension rings")
        self.assertEqual(leg.caller["name"], "Listen: Anna Smith")
        self.assertEqual(leg.args, ["supervise", ANNA_LEG, "listen"])
        self.assertRecordValues(
            row,
            [
                {
                    "supervisor_id": self.manager.id,
                    "mode": "listen",
                    "state": "ringing",
                    "target_channel_id": ANNA_LEG,
                    "target_is_user": True,
                }
            ],
        )

    def test_a_call_without_a_user_can_be_listened_to_but_not_whispered_to(self):
        self.call.write({"user_id": False, "answered_user_id": False, "called_number": "8001"})
        with self.assertRaisesRegex(UserError, "Nobody of Odoo is on this call to whisper to"):
            self.call.with_user(self.manager).action_supervise("whisper")
        row = self._supervise("barge")
        self.assertEqual(self.simulator.channels[row.channel_id].args, ["supervise", CALL_ID, "barge"])
        self.assertEqual(self.simulator.channels[row.channel_id].caller["name"], "Barge: +33 6 12 34 56 78")

    def test_a_second_mode_switches_the_same_leg_without_ringing_again(self):
        row = self._supervise("listen")
        with self.assertRaisesRegex(UserError, "still ringing"):
            self.call.with_user(self.manager).action_supervise("whisper")
        self._answered(row)
        self.call.with_user(self.manager).action_supervise("whisper")
        deadline = time.monotonic() + 10
        while not self.sent:
            self.assertLess(time.monotonic(), deadline, "the router got no user event")
            time.sleep(0.02)
        self.assertEqual(self.sent, [(SUPERVISE_EVENT, {"channel": row.channel_id, "mode": "whisper"})])
        ringing = [c for c in self.simulator.originated if c.startswith("telephony-supervise-")]
        self.assertEqual(ringing, [row.channel_id], "the manager's phone rang once")

    # ------------------------------------------------------------------
    # Who may, and every refusal
    # ------------------------------------------------------------------

    def test_only_telephony_managers_of_the_call_s_company(self):
        for user in (self.plain_user, self.user_anna, self.user_boris):
            with self.subTest(user=user.login), self.assertRaisesRegex(AccessError, "Only telephony managers"):
                self.call.with_user(user).action_supervise("listen")
        other = self.call.with_user(self.other_manager).with_context(allowed_company_ids=[self.other_company.id])
        with self.assertRaises(AccessError):
            other.action_supervise("listen")
        self.assertFalse(self.env["telephony.call.supervision"].search([]))
        self.assertFalse([c for c in self.simulator.originated if c.startswith("telephony-supervise-")])

    def test_refusals_name_the_problem(self):
        mine = self.call.with_user(self.manager)
        with self.assertRaisesRegex(UserError, "shout is not a way to supervise a call"):
            mine.action_supervise("shout")
        self.user_anna.telephony_supervision_excluded = True
        with self.assertRaisesRegex(UserError, "Anna Smith may not be supervised"):
            mine.action_supervise("listen")
        self.user_anna.telephony_supervision_excluded = False
        self.manager.telephony_extension = False
        with self.assertRaisesRegex(UserError, "You have no extension"):
            mine.action_supervise("listen")
        self.manager.telephony_extension = "203"
        self.call.answered_user_id = self.manager
        with self.assertRaisesRegex(UserError, "You are on this call yourself"):
            mine.action_supervise("listen")
        self.call.answered_user_id = self.user_anna
        self.call.end_date = datetime(2026, 3, 2, 9, 5, 0)
        with self.assertRaisesRegex(UserError, "This call is not connected"):
            mine.action_supervise("listen")
        ringing = self._new_call("1796000000.2", self.user_boris)
        with self.assertRaisesRegex(UserError, "This call is not connected"):
            ringing.with_user(self.manager).action_supervise("barge")
        self.assertFalse(self.env["telephony.call.supervision"].search([]))

    def test_only_managers_exclude_a_user_from_supervision(self):
        self.user_anna.with_user(self.manager).telephony_supervision_excluded = True
        self.assertTrue(self.user_anna.telephony_supervision_excluded)
        with self.assertRaises(AccessError):
            self.user_anna.with_user(self.user_anna).telephony_supervision_excluded = False
        with self.assertRaises(AccessError):
            self.user_boris.with_user(self.user_anna).read(["telephony_supervision_excluded"])

    # ------------------------------------------------------------------
    # The audit, from the PBX's events
    # ------------------------------------------------------------------

    def test_every_mode_is_a_row_timed_by_the_pbx_and_a_replay_changes_nothing(self):
        row = self._supervise("listen")
        leg = row.channel_id
        snoop = f"{leg}-snoop-listen-0a1b2c3d"
        events = [
            _event("StasisStart", 10, leg, args=["supervise", ANNA_LEG, "listen"]),
            _event("StasisStart", 10, snoop, args=["snoop", leg]),
            _event(SUPERVISION_REPORT, 10, leg, mode="listen", key=snoop),
            _event(SUPERVISION_REPORT, 40, leg, mode="whisper", key="k-2"),
            _event(SUPERVISION_REPORT, 70, leg, mode="barge", key="k-3"),
            _event("ChannelEnteredBridge", 70, leg, bridge={"id": self.room._bridge_id(), "channels": [leg]}),
            _event("StasisEnd", 100, leg),
            _event("ChannelDestroyed", 100, leg, cause=16),
        ]
        at = lambda second: datetime(2026, 3, 2, 9, 0, 0) + timedelta(seconds=second)  # noqa: E731
        self.pbx._apply_ari_events(events[:6])
        self.pbx._apply_ari_events(events[:6])
        rows = self.env["telephony.call.supervision"].search([("call_id", "=", self.call.id)], order="id")
        self.assertEqual(rows.mapped("mode"), ["listen", "whisper", "barge"], "a replay while it goes on adds no row")
        self.assertFalse(self.room.participant_ids, "barging into a room is no participation")
        self.pbx._apply_ari_events(events)
        rows = self.env["telephony.call.supervision"].search([("call_id", "=", self.call.id)], order="id")
        expected = [
            {"mode": "listen", "state": "ended", "start_date": at(10), "end_date": at(40)},
            {"mode": "whisper", "state": "ended", "start_date": at(40), "end_date": at(70)},
            {"mode": "barge", "state": "ended", "start_date": at(70), "end_date": at(100)},
        ]
        self.assertRecordValues(rows, expected)
        self.pbx._apply_ari_events(events)
        self.assertRecordValues(
            self.env["telephony.call.supervision"].search([("call_id", "=", self.call.id)], order="id"), expected
        )
        journal = self.env["telephony.call"].search([("pbx_id", "=", self.pbx.id)])
        self.assertEqual(journal, self.call, "neither the supervisor's phone nor its snoop is a call")
        self.assertRecordValues(
            self.call, [{"state": "answered", "end_date": False, "answered_user_id": self.user_anna.id}]
        )

    def test_the_supervised_user_hears_nothing_of_a_listen(self):
        self._bus()
        row = self._supervise("listen")
        self._answered(row)
        anna = [self.env.cr.dbname, "res.partner", self.user_anna.partner_id.id]
        self.assertNotIn(anna, [channel for channel, _message in self._bus()])

    def test_a_supervisor_who_never_answered_ends_without_a_start(self):
        row = self._supervise("whisper")
        self.pbx._apply_ari_events([_event("ChannelDestroyed", 45, row.channel_id, cause=19)])
        self.assertRecordValues(row, [{"state": "ended", "start_date": False}])

    def test_a_supervision_that_ended_while_nobody_listened_is_closed_on_reconnection(self):
        row = self._supervise("listen")
        self._answered(row)
        self.pbx.listener_seen_date = datetime(2026, 3, 2, 9, 1, 0)
        self.pbx._rebuild_live_state([{"id": CALL_ID, "state": "Up"}, {"id": ANNA_LEG, "state": "Up"}], [])
        self.assertRecordValues(row, [{"state": "ended", "end_date": datetime(2026, 3, 2, 9, 1, 0)}])
        self.assertFalse(self.call.end_date)

    def test_managers_of_the_company_read_the_audit_and_nobody_writes_it(self):
        row = self._supervise("listen")
        self.assertEqual(self.env["telephony.call.supervision"].with_user(self.manager).search([]), row)
        self.assertEqual(self.call.with_user(self.manager).supervision_ids, row)
        for user in (self.user_anna, self.plain_user):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self.env["telephony.call.supervision"].with_user(user).search([])
        other = self.env["telephony.call.supervision"].with_user(self.other_manager)
        self.assertFalse(other.with_context(allowed_company_ids=[self.other_company.id]).search([]))
        with self.assertRaises(AccessError):
            row.with_user(self.manager).write({"mode": "barge"})
        with self.assertRaises(AccessError):
            row.with_user(self.manager).unlink()

    # ------------------------------------------------------------------
    # The live-calls board
    # ------------------------------------------------------------------

    def test_the_board_lists_the_live_calls_of_my_companies(self):
        self._new_call("1796000000.3", self.user_boris, end_date=datetime(2026, 3, 2, 9, 0, 0), state="missed")
        ringing = self._new_call("1796000000.4", self.user_boris, start_date=datetime(2026, 3, 2, 9, 0, 5))
        self.env["telephony.call"].create(
            {
                "pbx_id": self.env["telephony.pbx"].create({"name": "BE", "company_id": self.other_company.id}).id,
                "pbx_unique_id": "1796000000.5",
                "direction": "inbound",
                "company_id": self.other_company.id,
            }
        )
        self.user_boris.telephony_supervision_excluded = True
        listen = self._supervise("listen")
        board = self.env["telephony.call"].with_user(self.manager).telephony_live_calls()
        self.assertEqual(
            (board[0]["my_mode"], board[0]["my_state"]), ("listen", "ringing"), "my phone rings: no mode is on yet"
        )
        self._answered(listen, mode="whisper")
        board = self.env["telephony.call"].with_user(self.manager).telephony_live_calls()
        self.assertEqual(
            board,
            [
                {
                    "id": self.call.id,
                    "company_id": self.company.id,
                    "user": "Anna Smith",
                    "user_id": self.user_anna.id,
                    "other_party": "+33 6 12 34 56 78",
                    "direction": "inbound",
                    "state": "answered",
                    "on_hold": False,
                    "start_date": "2026-03-02T08:59:50+00:00",
                    "answer_date": "2026-03-02T08:59:55+00:00",
                    "room": "",
                    "excluded": False,
                    "my_mode": "whisper",
                    "my_state": "active",
                },
                {
                    **ringing._telephony_live_payload(),
                    "state": "ringing",
                    "answer_date": False,
                    "excluded": True,
                    "my_mode": False,
                    "my_state": False,
                },
            ],
        )
        for user in (self.user_anna, self.plain_user):
            with self.subTest(user=user.login), self.assertRaisesRegex(AccessError, "Only telephony managers"):
                self.env["telephony.call"].with_user(user).telephony_live_calls()

    def test_the_board_hears_of_live_calls_and_supervisions_on_its_company_channel(self):
        board = [self.env.cr.dbname, "res.company", self.company.id, "telephony_live_calls"]
        self._bus()
        call = self._new_call("1796000000.6", self.user_boris)
        call.write({"state": "answered", "answer_date": datetime(2026, 3, 2, 9, 0, 1)})
        self.assertEqual(
            [message for channel, message in self._bus() if channel == board],
            [{"type": "telephony/live_calls", "payload": {"company_id": self.company.id, "call_ids": [call.id]}}],
            "one notification per transaction",
        )
        call.write({"end_date": datetime(2026, 3, 2, 9, 0, 9)})
        self.assertIn(board, [channel for channel, _message in self._bus()], "the call ended")
        row = self._supervise("listen")
        self.assertIn(board, [channel for channel, _message in self._bus()], "a supervision rings")
        self._answered(row)
        self.assertIn(board, [channel for channel, _message in self._bus()], "a supervision starts")

    def test_only_managers_listen_to_their_companies_boards(self):
        websocket = self.env["ir.websocket"]
        self.assertEqual(
            websocket.with_user(self.manager)._telephony_live_board_channels(), [(self.company, "telephony_live_calls")]
        )
        self.assertEqual(websocket.with_user(self.user_anna)._telephony_live_board_channels(), [])
        self.assertEqual(
            websocket.with_user(self.other_manager)._telephony_live_board_channels(),
            [(self.other_company, "telephony_live_calls")],
        )
