from datetime import timedelta

from odoo import Command, fields
from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestDashboardFiltersUi(HttpCase):
    """Every filter of the simplified dashboard changed in a real browser, by a manager and by a plain
    user: the page must answer after each change, and a figure must still open its calls."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        pbx = cls.env["telephony.pbx"].create(
            {"name": "Dash PBX", "ari_url": "http://127.0.0.1:9", "ari_password": "x"}
        )
        cls.env["res.users"].search([("telephony_extension", "in", ["7301", "7302"])]).telephony_extension = False
        team = cls.env["hr.department"].create({"name": "Dash Team"})
        users = {}
        for login, name, group, extension in (
            ("dash_manager", "Dash Manager", "telephony.group_telephony_manager", "7301"),
            ("dash_user", "Dash User", "telephony.group_telephony_user", "7302"),
        ):
            users[login] = cls.env["res.users"].create(
                {
                    "name": name,
                    "login": login,
                    "password": f"{login}_pw",
                    "groups_id": [Command.set([cls.env.ref(group).id])],
                    "telephony_enabled": True,
                    "telephony_extension": extension,
                    "telephony_report_form": "simplified",
                    "tz": "UTC",
                }
            )
        employee = cls.env["hr.employee"].create(
            {"name": "Dash User", "user_id": users["dash_user"].id, "department_id": team.id}
        )
        # Minutes ago: inside the custom period the tours pick (the last 40 days, in UTC).
        now = fields.Datetime.now()
        for index, (login, state) in enumerate(
            (("dash_user", "answered"), ("dash_user", "missed"), ("dash_manager", "answered"))
        ):
            user = users[login]
            start = now - timedelta(minutes=10 + index)
            cls.env["telephony.call"].create(
                {
                    "pbx_id": pbx.id,
                    "pbx_unique_id": f"dash-{index}",
                    "direction": "inbound",
                    "state": state,
                    "user_id": user.id,
                    "employee_id": employee.id if login == "dash_user" else False,
                    "caller_number": f"+3365550020{index}",
                    "called_number": user.telephony_extension,
                    "start_date": start,
                    "answer_date": start + timedelta(seconds=5) if state == "answered" else False,
                    "end_date": start + timedelta(seconds=65),
                }
            )

    def test_a_manager_changes_every_filter_and_opens_a_figure(self):
        self.start_tour("/odoo", "telephony_dashboard_filters_manager_tour", login="dash_manager", timeout=90)

    def test_a_plain_user_changes_every_filter_and_opens_a_figure(self):
        self.start_tour("/odoo", "telephony_dashboard_filters_user_tour", login="dash_user", timeout=90)

    def test_reports_read_as_times_numbers_and_counts_without_piling_breadcrumbs(self):
        self.start_tour("/odoo", "telephony_reports_readable_tour", login="dash_user", timeout=90)
