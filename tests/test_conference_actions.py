from odoo.exceptions import UserError
from odoo.tests import tagged

from ..pbx.simulator import Simulator
from .common import TelephonyCase


@tagged("post_install", "-at_install")
class TestConferenceActions(TelephonyCase):
    """What users do to a conference reaches the PBX (the simulator, over real sockets)."""

    def setUp(self):
        super().setUp()
        self.simulator = Simulator(port=0).start()
        self.addCleanup(self.simulator.stop)
        self.pbx.write({"ari_url": self.simulator.url, "ari_password": "telephony", "timeout": 2})

    def _participants(self):
        self.env.invalidate_all()
        return self.env["telephony.conference.participant"].search([("conference_id", "=", self.room.id)])

    def _live(self, participant):
        return self.simulator.channels.get(participant.channel_id)

    def test_invite_calls_the_number_and_links_it_into_the_room(self):
        result = self.room.with_user(self.user_anna).action_invite(number="06 12 34 56 78")
        participant = self.env["telephony.conference.participant"].browse(result["id"])
        self.assertRecordValues(participant, [{"number": "+33612345678", "state": "calling"}])
        channel = self._live(participant)
        self.assertTrue(channel.name.startswith("Local/+33612345678@from-internal"))
        self.assertEqual(channel.args, ["invite", str(self.room.id), str(participant.id)])
        self.assertEqual(channel.caller, {"name": "Conference", "number": "8001"})

    def test_invite_a_user_rings_their_extension(self):
        self.room.with_user(self.user_anna).action_invite(user_id=self.user_boris.id)
        participant = self.room.participant_ids
        self.assertRecordValues(participant, [{"user_id": self.user_boris.id, "number": "202"}])
        self.assertTrue(self._live(participant).name.startswith("PJSIP/202"))

    def test_administrator_mutes_and_kicks(self):
        self.room.with_user(self.user_anna).action_invite(user_id=self.user_boris.id)
        participant = self.room.participant_ids
        participant.state = "joined"
        self.room.with_user(self.user_anna).action_mute(participant.id, True)
        self.assertTrue(participant.muted)
        self.assertTrue(self._live(participant).muted_in)
        self.room.with_user(self.user_anna).action_mute(participant.id, False)
        self.assertFalse(self._live(participant).muted_in)
        self.room.with_user(self.user_anna).action_kick(participant.id)
        self.assertIsNone(self._live(participant))
        self.assertEqual(participant.state, "left")

    def test_participant_mutes_themselves_and_leaves(self):
        self.room.with_user(self.manager).action_invite(user_id=self.user_boris.id)
        participant = self.room.participant_ids
        participant.state = "joined"
        mine = participant.with_user(self.user_boris)
        mine.action_mute_self(True)
        self.assertTrue(self._live(participant).muted_in)
        mine.action_leave()
        self.assertIsNone(self._live(participant))
        self.assertEqual(participant.state, "left")

    def test_meeting_calls_every_employee_at_once_as_conference(self):
        employees = self.env["hr.employee"].create(
            [
                {"name": "Boris", "user_id": self.user_boris.id, "company_id": self.company.id},
                {"name": "Eve", "work_phone": "+33 6 11 22 33 44", "company_id": self.company.id},
                {"name": "Chloe", "user_id": self.manager.id, "company_id": self.company.id},
            ]
        )
        result = self.env["telephony.conference"].with_user(self.user_anna).action_start_meeting(employees.ids)
        meeting = self.env["telephony.conference"].browse(result["id"])
        self.assertRecordValues(
            meeting, [{"kind": "meeting", "creator_id": self.user_anna.id, "administrator_id": self.user_anna.id}]
        )
        self.assertEqual(sorted(meeting.participant_ids.mapped("number")), ["+33611223344", "201", "202", "203"])
        creator = meeting.participant_ids.filtered(lambda p: p.user_id == self.user_anna)
        self.assertTrue(creator.is_administrator)
        for participant in meeting.participant_ids:
            self.assertEqual(self._live(participant).caller["name"], "Conference")
        self.assertEqual(self._live(creator).args[-1], "admin")

    def test_pbx_down_is_a_clear_error_and_leaves_nothing_behind(self):
        self.pbx.ari_url = "http://127.0.0.1:9"
        # assertRaises (unlike assertRaisesRegex) rolls back like a request that ends in an error
        with self.assertRaises(UserError) as caught:
            self.room.with_user(self.user_anna).action_invite(number="+33612345678")
        self.assertIn("cannot be reached", str(caught.exception))
        self.assertFalse(self._participants())

    def test_slow_pbx_is_a_clear_error_within_its_timeout(self):
        self.simulator.delay = 3
        self.pbx.timeout = 0.5
        with self.assertRaisesRegex(UserError, "did not answer within 0.5 seconds"):
            self.room.with_user(self.user_anna).action_invite(number="+33612345678")

    def test_one_unreachable_invitee_does_not_stop_the_others(self):
        self.pbx.sudo().external_dial_template = "Bogus/{number}"
        self.room.with_user(self.user_anna).action_invite(user_id=self.user_boris.id)
        with self.assertRaises(UserError) as caught:
            self.room.with_user(self.user_anna).action_invite(number="+33612345678")
        self.assertIn("could not call anyone", str(caught.exception))
        self.assertEqual(self._participants().mapped("number"), ["202"])

    def test_test_connection_reports_the_version(self):
        action = self.pbx.with_user(self.manager).action_test_connection()
        self.assertEqual(action["params"]["type"], "success")
        self.assertIn("22.10.1", action["params"]["message"])
        self.assertEqual(self.pbx.state, "connected")

    def _meeting_with_boris(self):
        employees = self.env["hr.employee"]
        employee = employees.search([("user_id", "=", self.user_boris.id)]) or employees.create(
            {"name": "Boris", "user_id": self.user_boris.id, "company_id": self.company.id}
        )
        result = self.env["telephony.conference"].with_user(self.user_anna).action_start_meeting(employee.ids)
        return self.env["telephony.conference"].browse(result["id"])

    def test_meeting_calls_show_the_company_conference_number_never_the_callees(self):
        meeting = self._meeting_with_boris()
        for participant in meeting.participant_ids:
            self.assertEqual(self._live(participant).caller, {"name": "Conference", "number": ""})
        self.company.telephony_conference_caller_number = "+33184880000"
        meeting = self._meeting_with_boris()
        for participant in meeting.participant_ids:
            self.assertEqual(self._live(participant).caller, {"name": "Conference", "number": "+33184880000"})

    def test_every_invited_leg_is_a_journal_row_of_its_conference(self):
        meeting = self._meeting_with_boris()
        calls = self.env["telephony.call"].search([("conference_id", "=", meeting.id)], order="id")
        self.assertRecordValues(
            calls,
            [
                {
                    "direction": "internal",
                    "user_id": participant.user_id.id,
                    "called_number": participant.number,
                    "pbx_unique_id": participant.channel_id,
                    "state": "ringing",
                }
                for participant in meeting.participant_ids.sorted("id")
            ],
        )
        self.room.with_user(self.user_anna).action_invite(number="06 12 34 56 78")
        outside = self.env["telephony.call"].search([("conference_id", "=", self.room.id)])
        self.assertRecordValues(
            outside, [{"direction": "outbound", "caller_number": "8001", "called_number": "+33612345678"}]
        )

    def test_a_leg_the_pbx_refuses_is_a_failed_row(self):
        self.pbx.sudo().external_dial_template = "Bogus/{number}"
        employee = self.env["hr.employee"].create(
            {"name": "Eve", "work_phone": "+33 6 11 22 33 44", "company_id": self.company.id}
        )
        result = self.env["telephony.conference"].with_user(self.user_anna).action_start_meeting(employee.ids)
        calls = self.env["telephony.call"].search([("conference_id", "=", result["id"])], order="id")
        self.assertEqual(calls.mapped("state"), ["ringing", "failed"])
        self.assertTrue(calls[1].end_date)
