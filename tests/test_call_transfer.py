import time

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from ..pbx.conference import CallRouter
from ..pbx.simulator import Simulator
from ..pbx.transfer import HOLD_EVENT, TRANSFER_EVENT
from .common import TelephonyCase


@tagged("post_install", "-at_install")
class TestCallTransfer(TelephonyCase):
    """Hold and transfer from the widget: who may, what reaches the PBX (the simulator, over real sockets),
    and the errors a user reads."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, allowed_company_ids=[cls.company.id]))

    def setUp(self):
        super().setUp()
        self.simulator = Simulator(port=0).start()
        self.addCleanup(self.simulator.stop)
        self.pbx.write({"ari_url": self.simulator.url, "ari_password": "telephony", "timeout": 2})
        self._hear_user_events()
        # Anna answered a customer's call: the customer's channel keys the call, Anna's phone is its peer leg.
        self.call = self._new_call("1796000000.1", self.user_anna, state="answered", answered_user_id=self.user_anna.id)

    def _sent(self, count=1):
        deadline = time.monotonic() + 10
        while len(self.sent) < count:
            self.assertLess(time.monotonic(), deadline, f"the router got {len(self.sent)} of {count} user events")
            time.sleep(0.02)
        return self.sent

    def test_hold_asks_the_router_to_hold_the_other_party_of_my_leg(self):
        self.call.with_user(self.user_anna).action_hold()
        self.call.with_user(self.user_anna).action_unhold()
        expected = {"channel": "1796000000.1-peer", "call": "1796000000.1", "extension": "201"}
        self.assertEqual(
            self._sent(2),
            [(HOLD_EVENT, {**expected, "hold": "1"}), (HOLD_EVENT, {**expected, "hold": "0"})],
        )

    def test_only_my_own_calls_or_a_manager(self):
        for action in ("action_hold", "action_unhold", "action_complete_transfer", "action_cancel_transfer"):
            with self.subTest(action=action), self.assertRaises(AccessError):
                getattr(self.call.with_user(self.user_boris), action)()
        with self.assertRaises(AccessError):
            self.call.with_user(self.user_boris).action_transfer("203")
        self.call.with_user(self.manager).action_hold()
        self.assertEqual(self._sent()[0][1]["channel"], "1796000000.1-peer", "the manager holds Anna's call")
        self.assertEqual(self._sent()[0][1]["extension"], "201")

    def test_blind_transfer_names_the_target_as_the_pbx_dials_it(self):
        self.call.with_user(self.user_anna).action_transfer("06 12 34 56 79")
        name, fields = self._sent()[0]
        self.assertEqual((name, fields["mode"], fields["target"]), (TRANSFER_EVENT, "blind", "+33612345679"))
        self.assertEqual(fields["channel"], "1796000000.1-peer")

    def test_bad_targets_are_named(self):
        mine = self.call.with_user(self.user_anna)
        with self.assertRaisesRegex(UserError, "Nobody can be reached at 9999"):
            mine.action_transfer("9999")
        with self.assertRaisesRegex(UserError, "hello is neither an internal extension nor a valid phone number"):
            mine.action_transfer("hello")
        with self.assertRaisesRegex(UserError, "yourself"):
            mine.action_transfer("201")
        with self.assertRaisesRegex(UserError, "A room cannot be consulted"):
            mine.action_transfer("8001", attended=True)
        self.assertFalse(self.sent, "nothing reached the PBX")

    def test_consulting_opens_a_call_of_its_own(self):
        self.call.with_user(self.user_anna).action_transfer("202", attended=True)
        consultation = self.env["telephony.call"].search([("pbx_unique_id", "=like", "1796000000.1-consult-%")])
        self.assertRecordValues(
            consultation,
            [
                {
                    "direction": "internal",
                    "user_id": self.user_anna.id,
                    "caller_number": "201",
                    "called_number": "202",
                    "state": "ringing",
                }
            ],
        )
        fields = self._sent()[0][1]
        self.assertEqual((fields["mode"], fields["consult"]), ("attended", consultation.pbx_unique_id))

    def test_complete_and_cancel_need_a_consultation_and_complete_an_answer(self):
        mine = self.call.with_user(self.user_anna)
        with self.assertRaisesRegex(UserError, "No transfer is waiting"):
            mine.action_complete_transfer()
        consultation = self._new_call("1796000000.1-consult-1", self.user_anna, direction="internal")
        self.call.write(
            {
                "transfer_state": "consulting",
                "consult_call_id": consultation.id,
                "transfer_number": "202",
                "transferred_by_id": self.user_anna.id,
                "transferred_leg_id": "1796000000.1-peer",
            }
        )
        with self.assertRaisesRegex(UserError, "202 has not answered yet"):
            mine.action_complete_transfer()
        with self.assertRaisesRegex(UserError, "Complete or cancel the transfer in progress first"):
            mine.action_hold()
        mine.action_cancel_transfer()
        consultation.state = "answered"
        mine.action_complete_transfer()
        self.assertEqual([fields["mode"] for _name, fields in self._sent(2)], ["cancel", "complete"])
        self.assertEqual({fields["channel"] for _name, fields in self.sent}, {"1796000000.1-peer"})

    def test_whom_a_call_was_transferred_to_holds_it_and_who_transferred_it_no_longer_can(self):
        self.call.write(
            {
                "transfer_state": "answered",
                "transfer_number": "202",
                "transfer_user_id": self.user_boris.id,
                "transferred_by_id": self.user_anna.id,
                "transferred_leg_id": "1796000000.1-peer",
                "transfer_leg_id": "1796000000.1-xfer-abc",
            }
        )
        with self.assertRaisesRegex(UserError, "no longer on this call"):
            self.call.with_user(self.user_anna).action_hold()
        self.call.with_user(self.user_boris).action_hold()
        self.assertEqual(self._sent()[0][1]["channel"], "1796000000.1-xfer-abc")

    def test_only_a_connected_two_party_call(self):
        mine = self.call.with_user(self.user_anna)
        self.call.state = "ringing"
        with self.assertRaisesRegex(UserError, "Only a connected call"):
            mine.action_hold()
        self.call.write({"state": "answered", "conference_id": self.room.id})
        with self.assertRaisesRegex(UserError, "in a room cannot be held"):
            mine.action_transfer("202")
        self.call.write({"conference_id": False, "end_date": self.call.start_date})
        with self.assertRaisesRegex(UserError, "has ended"):
            mine.action_hold()

    def test_pbx_down_is_the_clear_error_of_every_pbx_action(self):
        self.pbx.ari_url = "http://127.0.0.1:9"
        with self.assertRaises(UserError) as caught:
            self.call.with_user(self.user_anna).action_hold()
        self.assertIn("cannot be reached", str(caught.exception))

    def test_the_router_refuses_what_it_no_longer_can_do(self):
        """The call ended on the PBX meanwhile: the router reports the refusal for the journal to tell."""
        reports = []
        router = CallRouter(self.pbx._ari_client(), lambda *args: None, reports.append)
        router.handle(
            {
                "type": "ChannelUserevent",
                "eventname": TRANSFER_EVENT,
                "userevent": {"channel": "gone-peer", "call": "gone", "mode": "blind", "target": "202"},
            }
        )
        self.assertEqual([(r["channel"]["id"], r["state"]) for r in reports], [("gone", "refused")])
