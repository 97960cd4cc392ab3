from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import TelephonyCase


@tagged("post_install", "-at_install")
class TestConferenceAccess(TelephonyCase):
    """Who may kick, mute and invite is checked before anything reaches the PBX."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        participants = cls.env["telephony.conference.participant"]
        cls.anna_in_room = participants.create(
            {"conference_id": cls.room.id, "user_id": cls.user_anna.id, "channel_id": "c-anna", "state": "joined"}
        )
        cls.boris_in_room = participants.create(
            {"conference_id": cls.room.id, "user_id": cls.user_boris.id, "channel_id": "c-boris", "state": "joined"}
        )

    def test_participant_cannot_kick_or_mute_others(self):
        room = self.room.with_user(self.user_boris)
        with self.assertRaisesRegex(AccessError, "administrator or the creator"):
            room.action_kick(self.anna_in_room.id)
        with self.assertRaisesRegex(AccessError, "administrator or the creator"):
            room.action_mute(self.anna_in_room.id, True)
        with self.assertRaisesRegex(AccessError, "administrator or the creator"):
            room.action_invite(number="+33612345678")
        with self.assertRaisesRegex(AccessError, "administrator or the creator"):
            room.action_end()
        self.assertRecordValues(self.anna_in_room, [{"state": "joined", "muted": False}])

    def test_nobody_mutes_or_hangs_up_someone_else_as_themselves(self):
        with self.assertRaisesRegex(AccessError, "only mute yourself"):
            self.anna_in_room.with_user(self.user_boris).action_mute_self(True)
        with self.assertRaisesRegex(AccessError, "only mute yourself"):
            self.anna_in_room.with_user(self.user_boris).action_leave()
        self.assertRecordValues(self.anna_in_room, [{"state": "joined", "muted": False}])

    def test_outsider_cannot_even_see_a_meeting(self):
        meeting = (
            self.env["telephony.conference"]
            .with_user(self.user_anna)
            .create({"name": "Anna's meeting", "kind": "meeting"})
        )
        with self.assertRaises(AccessError):
            meeting.with_user(self.user_boris).action_kick(self.anna_in_room.id)

    def test_invite_refuses_what_cannot_be_called(self):
        room = self.room.with_user(self.user_anna)
        for number, message in (
            ("12", "neither an internal extension"),
            ("hello", "neither an internal extension"),
            ("", "Type an extension or a phone number"),
        ):
            with self.subTest(number=number), self.assertRaisesRegex(UserError, message):
                room.action_invite(number=number)
        partner = self.env["res.partner"].create({"name": "No Phone"})
        with self.assertRaisesRegex(UserError, "No Phone has no extension and no phone number"):
            room.action_invite(partner_id=partner.id)
        self.assertEqual(len(self.room.participant_ids), 2, "a refused invitation leaves no participant behind")

    def test_actions_on_someone_who_left_say_so(self):
        self.boris_in_room.state = "left"
        with self.assertRaisesRegex(UserError, "no longer in"):
            self.room.with_user(self.user_anna).action_kick(self.boris_in_room.id)

    def test_meeting_needs_employees(self):
        with self.assertRaisesRegex(UserError, "at least one employee"):
            self.env["telephony.conference"].with_user(self.user_anna).action_start_meeting([])
