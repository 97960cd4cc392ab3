from odoo.tests import HttpCase, new_test_user, tagged

from .common import SimulatedPbxListenerMixin, sim_control


@tagged("post_install", "-at_install")
class TestRecordingThroughTheListener(SimulatedPbxListenerMixin, HttpCase):
    """A recorded call from end to end: the listener's router records it on the simulator (over real sockets), the
    journal follows, the cron fetches the file into Odoo and deletes it from the PBX."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._create_simulated_pbx()
        cls.rita = new_test_user(cls.env, login="recorded_rita", groups="telephony.group_telephony_user", name="Rita")
        cls.rita.write({"telephony_extension": "7401", "telephony_enabled": True})

    def setUp(self):
        super().setUp()
        self._start_simulator_and_listener()

    def _set_policy(self, policy):
        with self.registry.test_lock:
            self.pbx.company_id.telephony_recording_policy = policy
            self.env.flush_all()

    def _call(self, channel_id):
        return self.env["telephony.call"].search([("pbx_id", "=", self.pbx.id), ("pbx_unique_id", "=", channel_id)])

    def _customer_calls_rita(self):
        channel_id = sim_control(self.simulator, "calls", dialled="7401", caller="+33612345678")["id"]
        self._wait_until(lambda: self._call(channel_id).state == "answered", message="Rita answering")
        return channel_id

    def test_an_always_recorded_call_ends_as_a_stored_file_gone_from_the_pbx(self):
        self._set_policy("always")
        channel_id = self._customer_calls_rita()
        recording = self._wait_until(
            lambda: self._call(channel_id).recording_ids.filtered(lambda r: r.state == "recording"),
            message="the recording journaled",
        )
        self.assertTrue(self._read(lambda: self._call(channel_id).recording_live))
        sim_control(self.simulator, f"channels/{channel_id}/hangup")
        # The simulator, like Asterisk 22.10.1 most times, says nothing of a recording whose bridge is destroyed
        # after one party left: the router's own report ends it.
        self._wait_until(lambda: recording.state == "to_fetch", message="the recording ended")
        with self.registry.test_lock:
            self.env["telephony.recording"]._cron_fetch_recordings()
            self.assertEqual(recording.state, "stored")
            self.assertTrue(recording.pbx_deleted)
            self.assertEqual(recording.attachment_id.raw[:4], b"RIFF")
        self.assertFalse(self.simulator.stored_recordings)

    def test_on_demand_recording_from_the_widget_starts_and_stops(self):
        self._set_policy("on_demand")
        channel_id = self._customer_calls_rita()
        self._wait_until(lambda: self.simulator.bridges.get(f"call-{channel_id}"), message="the call connected")
        self.assertFalse(self._read(lambda: self._call(channel_id).recording_ids))
        with self.registry.test_lock:
            self._call(channel_id).with_user(self.rita).action_start_recording()
        recording = self._wait_until(
            lambda: self._call(channel_id).recording_ids.filtered(lambda r: r.state == "recording"),
            message="the recording started",
        )
        payload = self._read(lambda: self._call(channel_id).with_user(self.rita)._telephony_payload())
        self.assertTrue(payload["recording"], "the widget shows the call is recorded")
        with self.registry.test_lock:
            self._call(channel_id).with_user(self.rita).action_stop_recording()
        self._wait_until(lambda: recording.state == "to_fetch", message="the recording stopped")
        self.assertIn(channel_id, self.simulator.channels, "the call goes on")
        sim_control(self.simulator, f"channels/{channel_id}/hangup")
