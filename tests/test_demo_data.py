from datetime import timedelta

from odoo import fields
from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestDemoData(TransactionCase):
    """The demo a prospect sees is whole: run only on databases installed with demo data."""

    def setUp(self):
        super().setUp()
        self.pbx = self.env.ref("telephony.telephony_pbx_demo", raise_if_not_found=False)
        if not self.pbx:
            self.skipTest("installed without demo data")

    def test_demo_pbx_points_at_the_embedded_simulator(self):
        self.assertEqual(self.pbx.ari_url, "http://127.0.0.1:8088")

    def test_demo_rooms_numbers_and_users(self):
        rooms = self.env["telephony.conference"].search([("kind", "=", "room")])
        self.assertGreaterEqual(len(rooms), 3)
        board = self.env.ref("telephony.telephony_conference_demo_board")
        self.assertTrue(board.access_code and board.wait_for_administrator and board.administrator_id)
        self.assertGreaterEqual(self.env["telephony.incoming.number"].search_count([]), 2)
        users = self.env["res.users"].search([("telephony_extension", "!=", False)])
        self.assertGreaterEqual(len(users), 5)
        self.assertTrue(self.env.ref("telephony.hr_employee_demo_anna").telephony_extension)

    def test_demo_journal_spreads_hundreds_of_calls_over_sixty_days(self):
        calls = self.env["telephony.call"].search([("pbx_id", "=", self.pbx.id)])
        self.assertGreaterEqual(len(calls), 200)
        now = fields.Datetime.now()
        oldest = min(calls.mapped("start_date"))
        self.assertGreater(now - oldest, timedelta(days=50))
        self.assertLessEqual(max(calls.mapped("start_date")), now)
        self.assertEqual(set(calls.mapped("direction")), {"inbound", "outbound", "internal"})
        self.assertTrue({"answered", "missed"} <= set(calls.mapped("state")))

    def test_demo_teams_filter_the_managers_dashboard(self):
        """A manager trying the Team filter sees the calls of that team's people, not an empty dashboard."""
        chloe = self.env.ref("telephony.res_users_demo_chloe")
        sales = self.env.ref("hr.dep_sales")
        self.assertIn(self.env.ref("telephony.res_users_demo_anna"), sales.member_ids.user_id)
        dashboard = self.env["telephony.dashboard"].with_user(chloe)
        today = fields.Date.context_today(dashboard)
        year = {"period": "custom", "date_from": today - timedelta(days=364), "date_to": today}
        data = dashboard.get_dashboard_data(**year, department_ids=[sales.id])
        self.assertIn(sales.id, [option["id"] for option in data["filters"]["departments"]])
        team_calls = self.env["telephony.call"].search_count(data["domain"])
        self.assertGreater(team_calls, 50)
        self.assertLess(team_calls, self.env["telephony.call"].search_count([("pbx_id", "=", self.pbx.id)]))
        self.assertEqual(next(kpi["value"] for kpi in data["kpis"] if kpi["key"] == "total"), team_calls)
