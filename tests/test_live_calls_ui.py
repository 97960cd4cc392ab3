from odoo.tests import HttpCase, new_test_user, tagged

from .common import SimulatedPbxListenerMixin, sim_control

CUSTOMER = "+33612345678"


@tagged("post_install", "-at_install")
class TestLiveCallsBoard(SimulatedPbxListenerMixin, HttpCase):
    """The live-calls board in the browser, through the listener's router against the simulator over real sockets:
    a manager listens to, whispers into, then barges into a customer's call, and the board follows the PBX."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._create_simulated_pbx()
        cls.rita = new_test_user(
            cls.env, login="board_rita", groups="telephony.group_telephony_user", name="Rita Board"
        )
        cls.manager = new_test_user(
            cls.env, login="board_mona", groups="telephony.group_telephony_manager", name="Mona Board"
        )
        cls.plain = new_test_user(cls.env, login="board_paul", groups="telephony.group_telephony_user")
        for user, extension in ((cls.rita, "7401"), (cls.manager, "7409"), (cls.plain, "7402")):
            user.write({"telephony_extension": extension, "telephony_enabled": True})
        cls.env["res.partner"].search([("phone_e164", "=", CUSTOMER)]).phone = False
        cls.env["res.partner"].search([("mobile_e164", "=", CUSTOMER)]).mobile = False

    def setUp(self):
        super().setUp()
        self._start_simulator_and_listener()

    def _call(self, channel_id):
        return self.env["telephony.call"].search([("pbx_id", "=", self.pbx.id), ("pbx_unique_id", "=", channel_id)])

    def _supervisions(self, call):
        return self.env["telephony.call.supervision"].search([("call_id", "=", call.id)], order="id")

    def test_a_manager_listens_whispers_then_barges_and_the_board_follows(self):
        channel_id = sim_control(self.simulator, "calls", dialled="7401", caller=CUSTOMER)["id"]
        call = self._wait_until(lambda: self._call(channel_id).filtered(lambda c: c.state == "answered"))
        self.start_tour("/odoo/telephony-live-calls", "telephony_live_calls_tour", login="board_mona", timeout=120)
        sim_control(self.simulator, f"channels/{channel_id}/hangup")
        self._wait_until(lambda: self._supervisions(call)[-1:].end_date, message="the barge ended with the call")
        rows = self._read(lambda: self._supervisions(call).read(["mode", "supervisor_id", "start_date", "end_date"]))
        self.assertEqual([row["mode"] for row in rows], ["listen", "whisper", "barge"])
        self.assertEqual({row["supervisor_id"][0] for row in rows}, {self.manager.id})
        self.assertTrue(all(row["start_date"] and row["end_date"] for row in rows), rows)
        journal = self._read(
            lambda: self.env["telephony.call"].search([("pbx_id", "=", self.pbx.id)]).read(["user_id", "state"])
        )
        self.assertEqual(len(journal), 1, f"the supervisor's leg is no call of its own: {journal}")
        # The customer gone, the router hangs up Rita and the barging manager too.
        self._wait_until(lambda: not self.simulator.channels, message="every leg hung up")

    def test_a_manager_listens_through_the_listener(self):
        channel_id = sim_control(self.simulator, "calls", dialled="7401", caller=CUSTOMER)["id"]
        call = self._wait_until(lambda: self._call(channel_id).filtered(lambda c: c.state == "answered"))
        with self.registry.test_lock:
            call.with_user(self.manager).action_supervise("listen")
        row = self._wait_until(
            lambda: self._supervisions(call).filtered(lambda row: row.state == "active"), message="the listen on"
        )
        snoops = [c for c in list(self.simulator.channels.values()) if c.snoop_of]
        self.assertEqual([snoop.snoop_of for snoop in snoops], [f"{channel_id}-peer"], "Rita's leg is snooped")
        self.assertEqual(self._read(lambda: row.mode), "listen")
        sim_control(self.simulator, f"channels/{channel_id}/hangup")
        self._wait_until(lambda: not self.simulator.channels, message="every leg hung up")
        self._wait_until(lambda: self._supervisions(call).state == "ended", message="the listen ended")

    def test_plain_users_have_no_live_calls_menu(self):
        menu = self._read(lambda: self.env.ref("telephony.telephony_menu_live_calls"))
        menus = self.env["ir.ui.menu"]
        self.assertNotIn(menu.id, self._read(lambda: menus.with_user(self.plain)._visible_menu_ids()))
        self.assertIn(menu.id, self._read(lambda: menus.with_user(self.manager)._visible_menu_ids()))
