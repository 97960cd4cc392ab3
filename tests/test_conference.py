from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import TelephonyCase


@tagged("post_install", "-at_install")
class TestConference(TelephonyCase):
    def test_access_code_of_digits_is_accepted(self):
        for code in ("123", "2468", "0123456789"):
            self.room.access_code = code
            self.assertEqual(self.room.access_code, code)
        self.room.access_code = False
        self.assertFalse(self.room.has_access_code)

    def test_malformed_access_code_is_refused_with_the_reason(self):
        for code in ("12", "12345678901", "12a4", "12#", "1 2 3"):
            with self.subTest(code=code), self.assertRaises(ValidationError) as caught:
                self.room.access_code = code
            self.assertIn("3 to 10 digits", str(caught.exception))
            self.assertIn("Board", str(caught.exception))

    def test_waiting_for_the_administrator_needs_an_administrator(self):
        with self.assertRaisesRegex(ValidationError, "needs one"):
            self.room.administrator_id = False
        room = self.env["telephony.conference"].create(
            {"name": "Open", "extension": "8002", "company_id": self.company.id}
        )
        with self.assertRaisesRegex(ValidationError, "needs one"):
            room.wait_for_administrator = True

    def test_administrator_extension_is_the_administrator_own(self):
        self.assertEqual(self.room.administrator_extension, "201")
        self.user_anna.telephony_extension = "209"
        self.assertEqual(self.room.administrator_extension, "209")

    def test_new_room_uses_the_company_pbx_and_starts_idle(self):
        room = self.env["telephony.conference"].with_company(self.company).create({"name": "New", "extension": "8003"})
        self.assertEqual(room.pbx_id, self.pbx)
        self.assertEqual(room.state, "idle")
        self.assertEqual(room.display_name, "New (8003)")

    def test_joined_participants_are_counted(self):
        participants = self.env["telephony.conference.participant"].create(
            [
                {"conference_id": self.room.id, "user_id": self.user_anna.id, "state": "joined"},
                {"conference_id": self.room.id, "number": "+33612345678", "state": "ringing"},
                {"conference_id": self.room.id, "user_id": self.user_boris.id, "state": "left"},
            ]
        )
        self.assertEqual(self.room.participant_count, 1)
        self.assertEqual(participants[1].display_name, "+33612345678")
        self.assertEqual(participants[0].display_name, self.user_anna.name)
