import json

from odoo.tests import HttpCase, new_test_user, tagged

from .common import SimulatedPbxListenerMixin, sim_control


@tagged("post_install", "-at_install")
class TestTransferThroughTheListener(SimulatedPbxListenerMixin, HttpCase):
    """Hold and transfer from Odoo, through the listener's router against the simulator over real sockets, and
    the journal it leaves: one row per conversation, who it went to, and the consultation's own row."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._create_simulated_pbx()
        cls.users = {
            extension: new_test_user(
                cls.env, login=f"transfer_{extension}", groups="telephony.group_telephony_user", name=name
            )
            for extension, name in (("7301", "Rita"), ("7302", "Sam"), ("7303", "Tom"))
        }
        for extension, user in cls.users.items():
            user.write({"telephony_extension": extension, "telephony_enabled": True})

    def setUp(self):
        super().setUp()
        self._start_simulator_and_listener(endpoints={"7303": {"busy": True}})

    def _call(self, channel_id):
        return self.env["telephony.call"].search([("pbx_id", "=", self.pbx.id), ("pbx_unique_id", "=", channel_id)])

    def _bridge_of(self, channel_id):
        return next((b.id for b in list(self.simulator.bridges.values()) if channel_id in b.channels), None)

    def _customer_calls_rita(self):
        """A customer calls Rita's extension and she answers: the customer's channel keys the call."""
        channel_id = sim_control(self.simulator, "calls", dialled="7301", caller="+33612345678")["id"]
        self._wait_until(lambda: self._call(channel_id).state == "answered", message="Rita answering")
        self._wait_until(lambda: self._bridge_of(f"{channel_id}-peer"), message="the call connected")
        return channel_id

    def _as(self, extension, call):
        return call.with_user(self.users[extension])

    def test_hold_and_resume_show_on_the_call(self):
        channel_id = self._customer_calls_rita()
        with self.registry.test_lock:
            self._as("7301", self._call(channel_id)).action_hold()
        self._wait_until(lambda: self._call(channel_id).on_hold, message="the call on hold")
        self.assertTrue(self.simulator.channels[channel_id].held, "the customer hears the music")
        with self.registry.test_lock:
            self._as("7301", self._call(channel_id)).action_unhold()
        self._wait_until(lambda: not self._call(channel_id).on_hold, message="the call resumed")
        self.assertFalse(self.simulator.channels[channel_id].held)

    def test_a_phones_own_hold_key_shows_too(self):
        channel_id = self._customer_calls_rita()
        sim_control(self.simulator, f"channels/{channel_id}-peer/hold", on=1)
        self._wait_until(lambda: self._call(channel_id).on_hold, message="ChannelHold journaled")
        sim_control(self.simulator, f"channels/{channel_id}-peer/hold", on=0)
        self._wait_until(lambda: not self._call(channel_id).on_hold, message="ChannelUnhold journaled")

    def test_blind_transfer_is_one_row_naming_who_took_the_call(self):
        channel_id = self._customer_calls_rita()
        with self.registry.test_lock:
            self._as("7301", self._call(channel_id)).action_transfer("7302")
        self._wait_until(lambda: self._call(channel_id).transfer_state == "answered", message="Sam answering")
        leg = self._read(lambda: self._call(channel_id).transfer_leg_id)
        self.assertEqual(self._bridge_of(leg), self._bridge_of(channel_id), "the customer talks to Sam")
        self.assertTrue(self.simulator.channels[leg].name.startswith("PJSIP/7302"))
        self.assertNotIn(f"{channel_id}-peer", self.simulator.channels, "Rita's phone is free")
        rita, sam = self.users["7301"], self.users["7302"]
        with self.registry.test_lock:
            self.env.invalidate_all()
            call = self._call(channel_id)
            self.assertRecordValues(
                call,
                [
                    {
                        "state": "answered",
                        "end_date": False,
                        "user_id": rita.id,
                        "answered_user_id": rita.id,
                        "transfer_number": "7302",
                        "transfer_user_id": sam.id,
                        "transferred_by_id": rita.id,
                        "on_hold": False,
                    }
                ],
            )
            calls = self.env["telephony.call"]
            self.assertEqual(calls.with_user(sam).telephony_widget_data()["live_call"]["id"], call.id)
            self.assertFalse(calls.with_user(rita).telephony_widget_data()["live_call"], "Rita handed it over")
        sim_control(self.simulator, f"channels/{channel_id}/hangup")
        self._wait_until(lambda: self._call(channel_id).end_date, message="the call ending")
        self.assertEqual(len(self._read(lambda: self.env["telephony.call"].search([("pbx_id", "=", self.pbx.id)]))), 1)

    def test_a_call_i_placed_goes_on_without_me_once_transferred(self):
        """The call's own channel is my phone's: it leaves, and the call goes on and is closed by the others."""
        with self.registry.test_lock:
            payload = self.env["telephony.call"].with_user(self.users["7301"]).action_dial("+33612345678")
            call = self.env["telephony.call"].browse(payload["id"])
            channel_id = call.pbx_unique_id
        self._wait_until(lambda: call.state == "answered", message="the customer answering")
        self._wait_until(lambda: self._bridge_of(f"{channel_id}-peer"), message="the call connected")
        with self.registry.test_lock:
            call.with_user(self.users["7301"]).action_transfer("7302")
        self._wait_until(lambda: call.transfer_state == "answered", message="Sam answering")
        self._wait_until(lambda: channel_id not in self.simulator.channels, message="my phone free")
        self.assertFalse(self._read(lambda: call.end_date), "the call goes on without my phone")
        sim_control(self.simulator, f"channels/{channel_id}-peer/hangup")
        self._wait_until(lambda: call.end_date, message="the call ending when the customer hangs up")

    def test_a_busy_target_rings_the_transferring_user_back(self):
        channel_id = self._customer_calls_rita()
        with self.registry.test_lock:
            self.env["bus.bus"].sudo().search([]).unlink()
            self._as("7301", self._call(channel_id)).action_transfer("7303")
        self._wait_until(lambda: self._call(channel_id).transfer_state == "returned", message="Rita taking it back")
        leg = self._read(lambda: self._call(channel_id).transfer_leg_id)
        self.assertTrue(self.simulator.channels[leg].name.startswith("PJSIP/7301"))
        self.assertEqual(self._bridge_of(leg), self._bridge_of(channel_id))
        with self.registry.test_lock:
            [notification] = self._notifications(self.users["7301"])
            self.assertIn("7303 is busy. Your phone rings to take the call back.", notification["payload"]["message"])
            self.assertFalse(self._call(channel_id).end_date)
        with self.registry.test_lock:
            self._as("7301", self._call(channel_id)).action_hold()
        self._wait_until(lambda: self._call(channel_id).on_hold, message="Rita holding the call she took back")

    def test_attended_transfer_completed(self):
        channel_id = self._customer_calls_rita()
        with self.registry.test_lock:
            self._as("7301", self._call(channel_id)).action_transfer("7302", attended=True)
        self._wait_until(lambda: self._call(channel_id).consult_call_id.state == "answered", message="Sam answering")
        with self.registry.test_lock:
            self.env.invalidate_all()
            call = self._call(channel_id)
            self.assertRecordValues(call, [{"on_hold": True, "transfer_state": "consulting"}])
            self.assertRecordValues(
                call.consult_call_id,
                [{"user_id": self.users["7301"].id, "answered_user_id": self.users["7302"].id, "end_date": False}],
            )
            consultation = call.consult_call_id.pbx_unique_id
            self._as("7301", call).action_complete_transfer()
        self._wait_until(lambda: self._call(channel_id).transfer_state == "answered", message="the transfer done")
        self._wait_until(lambda: f"{channel_id}-peer" not in self.simulator.channels, message="Rita's phone free")
        self.assertEqual(self._bridge_of(consultation), self._bridge_of(channel_id))
        with self.registry.test_lock:
            self.env.invalidate_all()
            call = self._call(channel_id)
            self.assertRecordValues(
                call,
                [{"on_hold": False, "transfer_user_id": self.users["7302"].id, "end_date": False}],
            )
            self.assertTrue(call.consult_call_id.end_date, "Rita's consultation ended when she left it")
        sim_control(self.simulator, f"channels/{consultation}/hangup")
        self._wait_until(lambda: self._call(channel_id).end_date, message="the customer's call ending with Sam")

    def test_attended_transfer_cancelled(self):
        channel_id = self._customer_calls_rita()
        with self.registry.test_lock:
            self._as("7301", self._call(channel_id)).action_transfer("7302", attended=True)
        self._wait_until(lambda: self._call(channel_id).consult_call_id.state == "answered", message="Sam answering")
        with self.registry.test_lock:
            self._as("7301", self._call(channel_id)).action_cancel_transfer()
        self._wait_until(lambda: self._call(channel_id).consult_call_id.end_date, message="the consultation over")
        self._wait_until(lambda: not self._call(channel_id).on_hold, message="the customer back with Rita")
        self.assertEqual(self._bridge_of(f"{channel_id}-peer"), self._bridge_of(channel_id))
        self._read(
            lambda: self.assertRecordValues(
                self._call(channel_id), [{"transfer_state": False, "transfer_user_id": False, "end_date": False}]
            )
        )

    def test_a_busy_consulted_target_is_a_busy_consultation_and_the_customer_comes_back(self):
        channel_id = self._customer_calls_rita()
        with self.registry.test_lock:
            self._as("7301", self._call(channel_id)).action_transfer("7303", attended=True)
        self._wait_until(lambda: self._call(channel_id).consult_call_id.end_date, message="the consultation over")
        self._wait_until(lambda: not self._call(channel_id).on_hold, message="the customer back with Rita")
        self._read(
            lambda: self.assertRecordValues(
                self._call(channel_id).consult_call_id, [{"state": "busy", "called_number": "7303"}]
            )
        )
        self.assertEqual(self._bridge_of(f"{channel_id}-peer"), self._bridge_of(channel_id))

    def _notifications(self, user):
        target = [self.env.cr.dbname, "res.partner", user.partner_id.id]
        messages = [
            json.loads(bus.message)
            for bus in self.env["bus.bus"].sudo().search([])
            if json.loads(bus.channel) == target
        ]
        return [message for message in messages if message["type"] == "simple_notification"]
