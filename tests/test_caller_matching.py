from datetime import datetime

from odoo import Command
from odoo.tests import tagged

from .common import TelephonyCase


@tagged("post_install", "-at_install")
class TestCallerMatching(TelephonyCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.partners = cls.env["res.partner"].with_company(cls.company)
        cls.env = cls.env(context=dict(cls.env.context, allowed_company_ids=[cls.company.id]))
        # Like Odoo's default internal users, telephony users here may create and edit contacts.
        (cls.user_anna | cls.user_boris | cls.manager).write(
            {"groups_id": [Command.link(cls.env.ref("base.group_partner_manager").id)]}
        )

    def _partner(self, name, **values):
        return self.partners.create({"name": name, "company_id": self.company.id, **values})

    def _match(self, number):
        return self.partners.with_user(self.user_anna)._telephony_match(number, self.company)

    def test_numbers_typed_in_any_format_match_the_e164_the_pbx_sends(self):
        formats = {
            "national with spaces": "06 12 34 56 01",
            "dots": "06.12.34.56.02",
            "dashes": "06-12-34-56-03",
            "international": "+33 6 12 34 56 04",
            "00 prefix": "0033 6 12 34 56 05",
            "country code without +": "33612345606",
            "trunk zero in brackets": "+33 (0)6 12 34 56 07",
            "extension": "+33 1 23 45 67 08 ext. 12",
        }
        for index, (kind, typed) in enumerate(formats.items(), start=1):
            with self.subTest(kind=kind):
                partner = self._partner(f"Format {index}", phone=typed)
                self.assertEqual(partner.phone, typed, "what people type is kept as they typed it")
                e164 = partner.phone_e164
                self.assertRegex(e164, r"^\+33[0-9]{9}$")
                self.assertEqual(self._match(e164), partner)

    def test_mobile_and_partner_country_are_used(self):
        belgian = self._partner("Belgian", mobile="0470 12 34 56", country_id=self.env.ref("base.be").id)
        self.assertEqual(belgian.mobile_e164, "+32470123456", "a national number reads in the partner's country")
        self.assertEqual(self._match("+32 470 12 34 56"), belgian)
        self.assertEqual(self._match("0032470123456"), belgian)

    def test_unparsable_numbers_are_kept_never_matched_never_an_error(self):
        for typed in ("n/a", "call the reception", "12", "+"):
            with self.subTest(typed=typed):
                partner = self._partner(f"Unparsable {typed}", phone=typed)
                self.assertEqual(partner.phone, typed)
                self.assertFalse(partner.phone_e164)
                self.assertFalse(self._match(typed))
        self.assertFalse(self._match(False))

    def test_a_number_is_recomputed_when_it_changes(self):
        partner = self._partner("Moving", phone="06 12 34 56 10")
        partner.phone = "06 12 34 56 11"
        self.assertEqual(partner.phone_e164, "+33612345611")
        self.assertFalse(self._match("+33612345610"))
        self.assertEqual(self._match("+33612345611"), partner)

    def test_shared_number_lists_everyone_company_first_then_the_latest_call(self):
        company = self._partner("Switchboard SA", is_company=True, phone="01 84 88 00 00")
        older = self._partner("Older Contact", parent_id=company.id, phone="01 84 88 00 00")
        recent = self._partner("Recent Contact", parent_id=company.id, phone="+33 1 84 88 00 00")
        self._new_call("m-1", self.user_anna, partner_id=older.id, start_date=datetime(2026, 1, 1, 9))
        self._new_call("m-2", self.user_anna, partner_id=recent.id, start_date=datetime(2026, 2, 1, 9))
        self.assertEqual(self._match("+33184880000").ids, [company.id, recent.id, older.id])
        company.phone = False
        self.assertEqual(self._match("+33184880000").ids, [recent.id, older.id])

    def test_other_companies_contacts_are_not_matched(self):
        foreign = self.partners.create({"name": "Other company", "company_id": self.other_company.id})
        foreign.phone = "06 12 34 56 20"
        self.assertFalse(self._match("+33612345620"))

    def test_calls_are_linked_to_the_caller_when_journaled(self):
        partner = self._partner("Known Caller", mobile="06 12 34 56 30")
        call = self._new_call("m-3", self.user_anna, caller_number="+33612345630")
        self.assertEqual(call.partner_id, partner)
        self.assertEqual(call.contact_number_e164, "+33612345630")
        outbound = self._new_call(
            "m-4", self.user_anna, direction="outbound", caller_number="201", called_number="0612345630"
        )
        self.assertEqual(outbound.partner_id, partner, "an outbound call matches the number it called")
        internal = self._new_call("m-5", self.user_anna, direction="internal", caller_number="201", called_number="202")
        self.assertFalse(internal.contact_number_e164)

    def test_new_contact_takes_over_the_calls_from_its_number(self):
        first = self._new_call("m-6", self.user_anna, caller_number="+33612345640")
        second = self._new_call("m-7", self.user_boris, caller_number="06 12 34 56 40")
        self.assertFalse(first.partner_id | second.partner_id)
        partner = self.partners.with_user(self.user_anna).create({"name": "Late Contact", "phone": "0612345640"})
        self.assertEqual((first | second).partner_id, partner)

    def test_bulk_recompute_fills_numbers_written_behind_the_orm(self):
        partner = self._partner("Imported", phone="06 12 34 56 50")
        self.env.cr.execute(
            "UPDATE res_partner SET phone = %s, phone_e164 = NULL, mobile = %s WHERE id = %s",
            ("0033 6 12 34 56 51", "not a number", partner.id),
        )
        self.env.invalidate_all()
        read = self.partners._telephony_recompute_numbers(batch_size=7)
        self.assertGreaterEqual(read, self.env["res.partner"].search_count([]))
        self.assertRecordValues(partner, [{"phone_e164": "+33612345651", "mobile_e164": False}])

    def test_employees_work_phones_are_normalised(self):
        employee = self.env["hr.employee"].create(
            {"name": "Colleague", "company_id": self.company.id, "work_phone": "01 84 88 00 60"}
        )
        self.assertEqual(employee.work_phone_e164, "+33184880060")
        call = self._new_call("m-8", self.user_anna, caller_number="+33184880060")
        self.assertEqual(call.with_user(self.user_anna).telephony_caller_card()["colleagues"], ["Colleague"])
