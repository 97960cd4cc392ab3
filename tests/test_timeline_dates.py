from datetime import date, datetime

from odoo import Command
from odoo.tests import tagged

from .common import TelephonyCase


@tagged("post_install", "-at_install")
class TestTimelineDates(TelephonyCase):
    """Dates stay dates on the timeline: a deadline is a day, not UTC midnight (item 10)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, allowed_company_ids=[cls.company.id]))
        cls.user_anna.write({"groups_id": [Command.link(cls.env.ref("base.group_partner_manager").id)]})
        cls.client = cls.env["res.partner"].create(
            {"name": "Dated SA", "is_company": True, "phone": "+33 1 84 88 00 20", "company_id": cls.company.id}
        )

    def _feed(self):
        return self.env["telephony.timeline"].with_user(self.user_anna).get_feed(partner_id=self.client.id)

    def test_activity_deadline_is_sent_as_a_date(self):
        self.client.activity_schedule("mail.mail_activity_data_call", date_deadline=date(2026, 3, 5), summary="Due")
        self._new_call("td-1", self.user_anna, start_date=datetime(2026, 3, 5, 9), caller_number="0184880020")
        self._new_call("td-2", self.user_anna, start_date=datetime(2026, 3, 4, 23), caller_number="0184880020")
        items = self._feed()["items"]
        self.assertEqual(
            [(item["kind"], item["date"], item["date_kind"]) for item in items],
            [
                ("call", "2026-03-05 09:00:00", "datetime"),
                ("activity", "2026-03-05", "date"),
                ("call", "2026-03-04 23:00:00", "datetime"),
            ],
        )

    def test_draft_invoice_without_date_keeps_the_merge_order(self):
        if "account.move" not in self.env:
            self.skipTest("needs Accounting")
        self.user_anna.write({"groups_id": [Command.link(self.env.ref("account.group_account_invoice").id)]})
        journal = self.env["account.journal"].create(
            {"name": "Sales", "type": "sale", "code": "TSAL", "company_id": self.company.id}
        )
        moves = self.env["account.move"].create(
            [
                {
                    "move_type": "out_invoice",
                    "journal_id": journal.id,
                    "partner_id": self.client.id,
                    "invoice_date": invoice_date,
                }
                for invoice_date in (date(2026, 3, 6), False, date(2026, 3, 1))
            ]
        )
        # create_date is the ORM's own: only SQL sets it.
        self.env.cr.execute(
            "UPDATE account_move SET create_date = %s WHERE id = %s", [datetime(2026, 3, 5, 12), moves[1].id]
        )
        moves.invalidate_recordset(["create_date"])
        invoices = [item for item in self._feed()["items"] if item["kind"] == "invoice"]
        self.assertEqual(
            [(item["res_id"], item["date"], item["date_kind"]) for item in invoices],
            [
                (moves[0].id, "2026-03-06", "date"),
                (moves[1].id, "2026-03-05 12:00:00", "datetime"),
                (moves[2].id, "2026-03-01", "date"),
            ],
        )
