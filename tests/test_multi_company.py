import re

from odoo.exceptions import UserError, ValidationError
from odoo.tests import new_test_user, tagged

from .common import TelephonyCase


@tagged("post_install", "-at_install")
class TestMultiCompany(TelephonyCase):
    """A French and a Belgian company, each with its own PBX: nothing of one reaches the other (item 8)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.be_pbx = cls.env["telephony.pbx"].create(
            {"name": "BE PBX", "ari_url": "http://127.0.0.1:9", "company_id": cls.other_company.id}
        )
        cls.be_user = new_test_user(
            cls.env,
            login="be_user_t",
            groups="telephony.group_telephony_user",
            company_id=cls.other_company.id,
            company_ids=[(6, 0, [cls.other_company.id])],
        )
        cls.be_user.telephony_extension = "555"

    def _french_call(self, unique_id, **values):
        return self._new_call(unique_id, self.user_anna, caller_number="+32 2 555 12 34", **values)

    def test_a_belgian_contact_does_not_take_a_french_call(self):
        call = self._french_call("mc-1")
        self.assertFalse(call.partner_id)
        self.env["res.partner"].create(
            {"name": "Belgian client", "phone": "+32 2 555 12 34", "company_id": self.other_company.id}
        )
        self.assertFalse(call.partner_id)
        french = self.env["res.partner"].create(
            {"name": "French client", "phone": "+32 2 555 12 34", "company_id": self.company.id}
        )
        self.assertEqual(call.partner_id, french)

    def test_a_shared_contact_takes_the_calls_of_every_company(self):
        french_call = self._french_call("mc-2")
        belgian_call = self._new_call(
            "mc-3",
            self.be_user,
            caller_number="+32 2 555 12 34",
            pbx_id=self.be_pbx.id,
            company_id=self.other_company.id,
        )
        shared = self.env["res.partner"].create({"name": "Shared client", "phone": "+32 2 555 12 34"})
        self.assertEqual((french_call | belgian_call).partner_id, shared)

    def test_french_pbx_does_not_ring_a_belgian_extension(self):
        self.assertFalse(self.env["res.users"]._telephony_user_with_extension("555", self.company))
        self.assertEqual(self.env["res.users"]._telephony_user_with_extension("555", self.other_company), self.be_user)
        self.assertFalse(self.pbx._resolve_destination("555", "+33612345678").get("user_id"))
        self.assertIsNone(self.pbx._route_call("555", "+33612345678", outbound=False))
        self.assertEqual(self.be_pbx._resolve_destination("555", "+3225551234")["user_id"], self.be_user.id)

    def test_two_companies_use_the_same_extensions(self):
        self.be_user.telephony_extension = "201"
        self.assertEqual(self.be_user.telephony_extension, self.user_anna.telephony_extension)
        be_room = self.env["telephony.conference"].create(
            {"name": "BE Board", "extension": "8001", "company_id": self.other_company.id}
        )
        self.assertEqual(be_room.extension, self.room.extension)
        self.assertEqual(self.pbx._resolve_destination("8001", "+33612345678")["conference_id"], self.room.id)
        self.assertEqual(self.be_pbx._resolve_destination("8001", "+3225551234")["conference_id"], be_room.id)
        self.assertEqual(self.be_pbx._resolve_destination("201", "+3225551234")["user_id"], self.be_user.id)

    def test_extension_stays_unique_within_a_company(self):
        with self.assertRaisesRegex(ValidationError, re.escape(self.be_user.name)):
            self.env["telephony.conference"].create(
                {"name": "BE Room", "extension": "555", "company_id": self.other_company.id}
            )
        with self.assertRaisesRegex(ValidationError, re.escape(self.user_anna.name)):
            self.env["telephony.conference"].create(
                {"name": "FR Room", "extension": "201", "company_id": self.company.id}
            )

    def test_user_of_both_companies_keeps_an_extension_free_in_both(self):
        self.be_user.telephony_extension = "201"
        with self.assertRaisesRegex(ValidationError, "extension 201 is already taken in Telephony BE"):
            self.user_anna.write({"company_ids": [(4, self.other_company.id)]})
        self.user_boris.write({"company_ids": [(4, self.other_company.id)]})
        with self.assertRaisesRegex(ValidationError, "extension 201 is already taken"):
            self.user_boris.telephony_extension = "201"

    def test_a_call_links_only_records_of_its_company(self):
        belgian_partner = self.env["res.partner"].create({"name": "BE", "company_id": self.other_company.id})
        be_room = self.env["telephony.conference"].create(
            {"name": "BE Room", "extension": "8100", "company_id": self.other_company.id}
        )
        be_number = self.env["telephony.incoming.number"].create(
            {"number": "+32 2 555 00 00", "conference_id": be_room.id, "company_id": self.other_company.id}
        )
        for field_name, value in (
            ("user_id", self.be_user.id),
            ("partner_id", belgian_partner.id),
            ("conference_id", be_room.id),
            ("incoming_number_id", be_number.id),
            ("pbx_id", self.be_pbx.id),
        ):
            with self.subTest(field=field_name), self.assertRaises(UserError):
                self._new_call(f"mc-{field_name}", self.user_anna, **{field_name: value})

    def test_an_incoming_number_rings_only_a_user_of_its_company(self):
        with self.assertRaises(UserError):
            self.env["telephony.incoming.number"].create(
                {
                    "number": "+33 1 84 88 00 02",
                    "destination_type": "user",
                    "user_id": self.be_user.id,
                    "company_id": self.company.id,
                }
            )
