import json
import time

from odoo.tests import HttpCase, new_test_user, tagged

from ..pbx.outage import is_outage_channel
from .common import SimulatedPbxListenerMixin, sim_control


@tagged("post_install", "-at_install")
class TestJournalThroughTheListener(SimulatedPbxListenerMixin, HttpCase):
    """The journal as the listener writes it, against the PBX simulator over real sockets."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._create_simulated_pbx()
        cls.users = {
            extension: new_test_user(
                cls.env, login=f"journal_{extension}", groups="telephony.group_telephony_user", name=name
            )
            for extension, name in (("7201", "Rita"), ("7202", "Sam"), ("7203", "Tom"))
        }
        for extension, user in cls.users.items():
            user.write({"telephony_extension": extension, "telephony_enabled": True})
        cls.room = cls.env["telephony.conference"].create(
            {"name": "Journal room", "extension": "7851", "access_code": "2468", "pbx_id": cls.pbx.id}
        )

    def setUp(self):
        super().setUp()
        self._start_simulator_and_listener()

    def _sim(self, path, **params):
        return sim_control(self.simulator, path, **params)

    def _hang_up_and_wait(self, channel_id):
        """End the test's call and let the listener record it: a batch still running at teardown fails."""
        self._sim(f"channels/{channel_id}/hangup")
        self._wait_until(lambda: all(self._calls().mapped("end_date")), message="the call ending")

    def _calls(self):
        return self.env["telephony.call"].search([("pbx_id", "=", self.pbx.id)], order="id")

    def test_outside_caller_forwarded_to_rita_is_one_row_she_sees(self):
        rita = self.users["7201"]
        channel_id = self._sim("calls", dialled="7201", caller="+33612345678", caller_name="Alice Martin")["id"]
        self._wait_until(lambda: self._calls().state == "answered", message="Rita answering")
        peer = self.simulator.channels[f"{channel_id}-peer"]
        self.assertEqual(peer.caller, {"name": "Alice Martin", "number": "+33612345678"})
        self._sim(f"channels/{channel_id}/hangup")
        self._wait_until(lambda: self._calls().end_date, message="the call ending")
        with self.registry.test_lock:
            self.assertRecordValues(
                self._calls(),
                [
                    {
                        "pbx_unique_id": channel_id,
                        "called_number": "7201",
                        "user_id": rita.id,
                        "answered_user_id": rita.id,
                        "state": "answered",
                    }
                ],
            )

    def test_user_calling_a_colleague_is_one_row_for_both(self):
        rita, sam = self.users["7201"], self.users["7202"]
        with self.registry.test_lock:
            self.env["telephony.call"].with_user(sam).action_dial("7201")
        self._wait_until(lambda: self._calls().state == "answered", message="Rita answering")
        with self.registry.test_lock:
            call = self._calls()
            self.assertRecordValues(call, [{"user_id": sam.id, "answered_user_id": rita.id, "direction": "internal"}])
            self.assertEqual(self.env["telephony.call"].with_user(rita).search([]), call, "Rita sees the call")
            peer = self.simulator.channels[f"{call.pbx_unique_id}-peer"]
        self.assertEqual(peer.caller, {"name": "Sam", "number": "7202"})

    def test_a_call_ringing_a_user_reaches_their_widget_while_it_rings(self):
        rita = self.users["7201"]
        self.simulator.endpoints["7201"] = {"no_answer": True}
        channel_id = self._sim("calls", dialled="7201", caller="+33612345671")["id"]
        self._wait_until(lambda: self._calls(), message="the call in the journal")

        def pushed_ringing():
            messages = self.env["bus.bus"].sudo().search([("channel", "like", f'"res.partner",{rita.partner_id.id}]')])
            payloads = [json.loads(message.message) for message in messages]
            return [p for p in payloads if p["type"] == "telephony/call" and p["payload"]["state"] == "ringing"]

        pushed = self._wait_until(pushed_ringing, message="the ringing call pushed to Rita")
        self.assertEqual(pushed[0]["payload"]["caller_number"], "+33612345671")
        self._hang_up_and_wait(channel_id)

    def test_a_phone_dialling_out_by_itself_is_an_outbound_call_of_its_user(self):
        # A browser phone calls the PBX itself (no originate from Odoo): its endpoint is named after its number.
        rita = self.users["7201"]
        channel_id = self._sim("calls", dialled="+33612345670", caller="7201", endpoint="7201")["id"]
        self._wait_until(lambda: self._calls().state == "answered", message="the outside number answering")
        with self.registry.test_lock:
            self.assertRecordValues(
                self._calls(), [{"direction": "outbound", "user_id": rita.id, "called_number": "+33612345670"}]
            )
            peer = self.simulator.channels[f"{channel_id}-peer"]
        self.assertEqual(peer.name.split("-")[0], "Local/+33612345670@from")
        self._hang_up_and_wait(channel_id)

    def test_a_phone_calling_a_colleague_by_itself_is_the_callers_call(self):
        rita, sam = self.users["7201"], self.users["7202"]
        channel_id = self._sim("calls", dialled="7201", caller="7202", endpoint="7202")["id"]
        self._wait_until(lambda: self._calls().state == "answered", message="Rita answering")
        with self.registry.test_lock:
            self.assertRecordValues(
                self._calls(), [{"direction": "internal", "user_id": sam.id, "answered_user_id": rita.id}]
            )
        self._hang_up_and_wait(channel_id)

    def test_a_phone_calling_a_room_by_itself_rings_until_its_code_lets_it_in(self):
        sam = self.users["7202"]
        channel_id = self._sim("calls", dialled="7851", caller="7202", endpoint="7202")["id"]
        self._wait_until(lambda: self.simulator.channels[channel_id].state == "Up", message="the receptionist")
        with self.registry.test_lock:
            self.assertRecordValues(
                self._calls(), [{"user_id": sam.id, "state": "ringing", "conference_id": self.room.id}]
            )
        self._sim(f"channels/{channel_id}/dtmf", digits="2468#")
        self._wait_until(lambda: self._calls().state == "answered", message="the code letting Sam in")
        self._hang_up_and_wait(channel_id)

    def test_an_outside_caller_presenting_an_extension_is_not_that_user(self):
        rita, sam = self.users["7201"], self.users["7202"]
        channel_id = self._sim("calls", dialled="7201", caller="7202")["id"]
        self._wait_until(lambda: self._calls().state == "answered", message="Rita answering")
        with self.registry.test_lock:
            self.assertRecordValues(
                self._calls(),
                [{"direction": "inbound", "user_id": rita.id, "answered_user_id": rita.id, "caller_number": "7202"}],
            )
            self.assertNotIn(self._calls(), self.env["telephony.call"].with_user(sam).search([]), "not Sam's call")
            peer = self.simulator.channels[f"{channel_id}-peer"]
        self.assertNotEqual(peer.caller["name"], "Sam", "Rita's phone does not show Sam calling")
        self._hang_up_and_wait(channel_id)

    def test_an_outside_caller_presenting_an_extension_gets_no_trunk(self):
        channel_id = self._sim("calls", dialled="+33612345670", caller="7201")["id"]
        self._wait_until(lambda: channel_id not in self.simulator.channels, message="the caller hung up")
        self.assertNotIn(f"{channel_id}-peer", self.simulator.originated, "nobody was dialled for them")

    def test_caller_with_three_wrong_codes_is_rejected_not_answered(self):
        channel_id = self._sim("calls", dialled="7851", caller="+33612345679")["id"]
        self._wait_until(lambda: self._calls(), message="the call in the journal")
        self._sim(f"channels/{channel_id}/dtmf", digits="1#2#3#")
        self._wait_until(lambda: self._calls().end_date, message="the caller sent away")
        with self.registry.test_lock:
            self.assertRecordValues(self._calls(), [{"state": "rejected", "answer_date": False, "talk_seconds": 0}])
        finished = [
            path
            for method, path, _ in self.simulator.requests
            if method == "DELETE" and not is_outage_channel(path.rpartition("/")[2])
        ]
        self.assertEqual(finished, [f"/ari/channels/{channel_id}"], "hung up once, after the goodbye")

    def test_three_person_meeting_is_three_rows_with_talk_time(self):
        rita = self.users["7201"]
        with self.registry.test_lock:
            employees = self.env["hr.employee"].create(
                [{"name": user.name, "user_id": user.id} for user in (self.users["7202"], self.users["7203"])]
            )
            result = self.env["telephony.conference"].with_user(rita).action_start_meeting(employees.ids)
            meeting = self.env["telephony.conference"].browse(result["id"])
        self._wait_until(
            lambda: meeting.participant_ids and set(meeting.participant_ids.mapped("state")) == {"joined"},
            message="everyone in the meeting",
        )
        time.sleep(1.5)
        for participant in self._read(lambda: meeting.participant_ids):
            self._sim(f"channels/{participant.channel_id}/hangup")
        self._wait_until(lambda: all(self._calls().mapped("end_date")), message="every leg ending")
        with self.registry.test_lock:
            self.env.invalidate_all()
            calls = self._calls()
            self.assertEqual(len(calls), 3)
            self.assertEqual(calls.conference_id, meeting)
            self.assertEqual(calls.user_id, rita | self.users["7202"] | self.users["7203"])
            self.assertEqual(set(calls.mapped("state")), {"answered"})
            self.assertTrue(all(call.talk_seconds >= 1 for call in calls), calls.mapped("talk_seconds"))
            rita.groups_id = [(4, self.env.ref("telephony.group_telephony_manager").id)]
            people = [user.id for user in self.users.values()]
            dashboard = self.env["telephony.dashboard"].with_user(rita).get_dashboard_data("today", user_ids=people)
        self.assertEqual((dashboard["conferences"]["rooms"], dashboard["conferences"]["participants"]), (1, 3))

    def test_invitee_the_pbx_cannot_call_is_reported_to_who_invited(self):
        rita = self.users["7201"]
        self.simulator.endpoints["+33699999999"] = {"fails": 0}  # a Local/ dial string whose context is missing
        with self.registry.test_lock:
            self.env["bus.bus"].sudo().search([]).unlink()
            self.room.sudo().administrator_id = rita
            self.room.with_user(rita).action_invite(number="+33699999999")
        self._wait_until(lambda: self._notifications(rita), message="Rita told")
        with self.registry.test_lock:
            notification = self._notifications(rita)[0]
            self.assertIn("“Unknown” (cause 0)", notification["payload"]["message"])
            self.assertRecordValues(self.room.participant_ids, [{"state": "failed", "invited_by_id": rita.id}])
            self.assertEqual(self._calls().state, "failed")

    def _notifications(self, user):
        target = [self.env.cr.dbname, "res.partner", user.partner_id.id]
        messages = [
            json.loads(bus.message)
            for bus in self.env["bus.bus"].sudo().search([])
            if json.loads(bus.channel) == target
        ]
        return [message for message in messages if message["type"] == "simple_notification"]
