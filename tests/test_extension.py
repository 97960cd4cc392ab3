from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import TelephonyCase


@tagged("post_install", "-at_install")
class TestExtension(TelephonyCase):
    def _new_room(self, extension, **values):
        return self.env["telephony.conference"].create(
            {"name": f"Room {extension}", "extension": extension, "company_id": self.company.id, **values}
        )

    def test_room_extensions_of_three_to_five_digits_are_accepted(self):
        for extension in ("300", "3001", "30001"):
            self.assertEqual(self._new_room(extension).extension, extension)

    def test_malformed_room_extension_is_refused_with_the_reason(self):
        for extension in ("30", "300001", "30a", "+301", "30 1"):
            with self.subTest(extension=extension), self.assertRaises(ValidationError) as caught:
                self._new_room(extension)
            self.assertIn(extension, str(caught.exception))
            self.assertIn("3 to 5 digits", str(caught.exception))

    def test_permanent_room_needs_an_extension_but_a_meeting_does_not(self):
        with self.assertRaisesRegex(ValidationError, "needs an internal extension"):
            self.env["telephony.conference"].create({"name": "No extension", "company_id": self.company.id})
        meeting = self.env["telephony.conference"].create(
            {"name": "Ad-hoc", "kind": "meeting", "company_id": self.company.id}
        )
        self.assertFalse(meeting.extension)

    def test_two_rooms_cannot_share_an_extension(self):
        with self.assertRaises(ValidationError) as caught:
            self._new_room("8001")
        self.assertIn("8001", str(caught.exception))
        self.assertIn("Board", str(caught.exception))

    def test_archived_room_keeps_its_extension(self):
        self.room.active = False
        with self.assertRaisesRegex(ValidationError, "Board"):
            self._new_room("8001")

    def test_room_cannot_take_a_user_extension(self):
        with self.assertRaises(ValidationError) as caught:
            self._new_room("201")
        self.assertIn(self.user_anna.name, str(caught.exception))

    def test_user_cannot_take_a_room_extension(self):
        with self.assertRaises(ValidationError) as caught:
            self.user_boris.telephony_extension = "8001"
        self.assertIn("Board", str(caught.exception))
        self.assertEqual(self.user_boris.telephony_extension, "202")

    def test_two_users_cannot_share_an_extension(self):
        with self.assertRaises(ValidationError) as caught:
            self.user_boris.telephony_extension = "201"
        self.assertIn(self.user_anna.name, str(caught.exception))

    def test_malformed_user_extension_is_refused(self):
        with self.assertRaisesRegex(ValidationError, "3 to 5 digits"):
            self.user_boris.telephony_extension = "2x2"

    def test_record_may_keep_its_own_extension(self):
        self.room.write({"extension": "8001", "name": "Board renamed"})
        self.user_anna.write({"telephony_extension": "201"})
        self.assertEqual(self.room.extension, "8001")
