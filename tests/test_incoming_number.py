from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import TelephonyCase


@tagged("post_install", "-at_install")
class TestIncomingNumber(TelephonyCase):
    def _new_number(self, number, company=None, **values):
        return self.env["telephony.incoming.number"].create(
            {
                "number": number,
                "destination_type": "conference",
                "conference_id": self.room.id,
                "company_id": (company or self.company).id,
                **values,
            }
        )

    def test_national_input_is_read_in_the_company_country(self):
        incoming = self._new_number("01 84 88 00 00")
        self.assertEqual(incoming.number, "+33184880000")
        self.assertEqual(incoming.number_international, "+33 1 84 88 00 00")

    def test_international_inputs_are_stored_in_e164(self):
        for typed in ("+33 1 84 88 00 00", "0033 1 84 88 00 00", "+33 (0)1.84.88.00.00"):
            with self.subTest(typed=typed):
                incoming = self._new_number(typed)
                self.assertEqual(incoming.number, "+33184880000")
                incoming.unlink()

    def test_foreign_number_keeps_its_own_country(self):
        self.assertEqual(self._new_number("+32 2 555 00 00").number, "+3225550000")

    def test_invalid_number_is_refused_naming_number_and_reason(self):
        for typed, reason in (
            ("12", "not enough digits"),
            ("+33 1 84 88 00 00 00 00", "too many digits"),
            ("hello", "Unable to parse"),
        ):
            with self.subTest(typed=typed), self.assertRaises(ValidationError) as caught:
                self._new_number(typed)
            self.assertIn(typed, str(caught.exception))
            self.assertIn(reason, str(caught.exception))

    def test_national_input_without_company_country_asks_for_a_country_code(self):
        company = self.env["res.company"].create({"name": "Nowhere"})
        with self.assertRaisesRegex(ValidationError, "has no country"):
            self._new_number(
                "01 84 88 00 00",
                company=company,
                conference_id=False,
                destination_type="user",
                user_id=self.user_anna.id,
            )

    def test_same_number_twice_in_a_company_is_refused(self):
        self._new_number("+33 1 84 88 00 00")
        with self.assertRaises(ValidationError) as caught:
            self._new_number("01 84 88 00 00")
        self.assertIn("+33 1 84 88 00 00", str(caught.exception))

    def test_same_number_in_two_companies_is_allowed(self):
        self._new_number("+33 1 84 88 00 00")
        room = self.env["telephony.conference"].create(
            {"name": "BE room", "extension": "8100", "company_id": self.other_company.id}
        )
        incoming = self._new_number("+33 1 84 88 00 00", company=self.other_company, conference_id=room.id)
        self.assertEqual(incoming.number, "+33184880000")

    def test_editing_the_number_normalises_it_again(self):
        incoming = self._new_number("+33 1 84 88 00 00")
        incoming.number = "06 12 34 56 78"
        self.assertEqual(incoming.number, "+33612345678")
        with self.assertRaisesRegex(ValidationError, "not enough digits"):
            incoming.number = "061"
        self.assertEqual(incoming.number, "+33612345678")

    def test_destination_must_be_set(self):
        with self.assertRaisesRegex(ValidationError, "pick the room"):
            self._new_number("+33 1 84 88 00 01", conference_id=False)
        with self.assertRaisesRegex(ValidationError, "pick the user"):
            self._new_number("+33 1 84 88 00 02", conference_id=False, destination_type="user")

    def test_destination_user_needs_an_extension(self):
        with self.assertRaisesRegex(ValidationError, "has no extension"):
            self._new_number("+33 1 84 88 00 03", destination_type="user", user_id=self.plain_user.id)
        incoming = self._new_number("+33 1 84 88 00 04", destination_type="user", user_id=self.user_boris.id)
        self.assertEqual(incoming.user_id, self.user_boris)

    def test_conference_lists_its_incoming_numbers(self):
        incoming = self._new_number("+33 1 84 88 00 05", label="Webinar")
        self.assertEqual(self.room.incoming_number_ids, incoming)
        self.assertEqual(incoming.display_name, "Webinar (+33 1 84 88 00 05)")
