from datetime import datetime

from psycopg2 import IntegrityError

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import TelephonyCase


@tagged("post_install", "-at_install")
class TestCall(TelephonyCase):
    def test_answered_call_durations(self):
        call = self._new_call(
            "1700000000.1",
            self.user_anna,
            start_date=datetime(2026, 3, 1, 9, 0, 0),
            answer_date=datetime(2026, 3, 1, 9, 0, 12),
            end_date=datetime(2026, 3, 1, 9, 5, 12),
            state="answered",
        )
        self.assertEqual((call.ring_seconds, call.talk_seconds), (12, 300))

    def test_missed_call_rang_until_it_ended(self):
        call = self._new_call(
            "1700000000.2",
            self.user_anna,
            start_date=datetime(2026, 3, 1, 9, 0, 0),
            end_date=datetime(2026, 3, 1, 9, 0, 25),
            state="missed",
        )
        self.assertEqual((call.ring_seconds, call.talk_seconds), (25, 0))

    def test_numbers_are_normalised_and_extensions_are_not(self):
        call = self._new_call("1700000000.3", self.user_anna, caller_number="06 12 34 56 78")
        self.assertEqual(call.caller_number_e164, "+33612345678")
        self.assertFalse(call.called_number_e164, "an internal extension is no phone number")
        self.assertEqual(call.caller_number, "06 12 34 56 78", "the raw number is kept as the PBX sent it")

    def test_unparsable_number_is_kept_and_not_an_error(self):
        call = self._new_call("1700000000.4", self.user_anna, caller_number="anonymous")
        self.assertEqual(call.caller_number, "anonymous")
        self.assertFalse(call.caller_number_e164)

    def test_pbx_call_id_is_unique_per_pbx(self):
        self._new_call("1700000000.5", self.user_anna)
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError):
            self._new_call("1700000000.5", self.user_boris)

    def test_placing_a_call_needs_calling_on_and_an_extension(self):
        calls = self.env["telephony.call"]
        with self.assertRaisesRegex(UserError, "turned off for you: turn it on in My Profile"):
            calls.with_user(self.user_anna).action_dial("202")
        self.user_anna.telephony_enabled = True
        no_extension = self._new_user("eve_t", "telephony.group_telephony_user")
        no_extension.telephony_enabled = True
        with self.assertRaisesRegex(UserError, "no extension yet"):
            calls.with_user(no_extension).action_dial("202")
        for number in ("12", "hello", ""):
            with self.subTest(number=number), self.assertRaisesRegex(UserError, "neither an internal|Type a number"):
                calls.with_user(self.user_anna).with_company(self.company).action_dial(number)
        self.assertFalse(calls.search([("user_id", "=", self.user_anna.id)]))

    def test_only_the_caller_types_on_their_call_and_only_keypad_keys(self):
        call = self._new_call("1700000000.6", self.user_anna)
        with self.assertRaisesRegex(AccessError, "your own calls"):
            call.with_user(self.user_boris).sudo(False).action_send_dtmf("1#")
        with self.assertRaisesRegex(UserError, "Only the keys 0-9"):
            call.with_user(self.user_anna).action_send_dtmf("12a#")
        call.end_date = call.start_date
        with self.assertRaisesRegex(UserError, "has ended"):
            call.with_user(self.user_anna).action_send_dtmf("1#")

    def test_widget_suggests_rooms_colleagues_and_contacts_with_their_number(self):
        self.env["hr.employee"].create(
            {"name": "Boardman Boris", "user_id": self.user_boris.id, "company_id": self.company.id}
        )
        self.env["res.partner"].create({"name": "Board Supplies", "phone": "+33 1 84 88 00 07"})
        self.env["res.partner"].create({"name": "Boarding school"})
        calls = self.env["telephony.call"].with_user(self.user_anna).with_company(self.company)
        suggestions = calls.telephony_search_targets("Board")
        self.assertIn({"kind": "room", "label": "Board", "number": "8001"}, suggestions)
        self.assertIn({"kind": "employee", "label": "Boardman Boris", "number": "202"}, suggestions)
        self.assertIn({"kind": "partner", "label": "Board Supplies", "number": "+33 1 84 88 00 07"}, suggestions)
        self.assertNotIn("Boarding school", [s["label"] for s in suggestions], "nobody to call without a number")
        self.assertEqual(calls.telephony_search_targets("B"), [], "one letter suggests nothing")
