from datetime import datetime, timedelta

from freezegun import freeze_time

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import HttpCase, tagged

from .common import TelephonyCase


def at(text):
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S")


@tagged("post_install", "-at_install")
class TestDashboard(TelephonyCase):
    """Exact figures on a hand-built March 2026, read by Anna (Paris time) and a manager (UTC)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        (cls.user_anna | cls.user_boris | cls.manager).write({"telephony_enabled": True})
        cls.user_anna.tz = "Europe/Paris"
        cls.manager.tz = "UTC"
        cls.client = cls.env["res.partner"].create(
            {"name": "Dashboard Client", "phone": "+33 6 12 34 56 01", "company_id": cls.company.id}
        )
        cls.calls = {
            # 00:30 on 1 March in Paris, still February in UTC
            "c1": cls._call(
                "c1", cls.user_anna, "inbound", "2026-02-28 23:30:00", ring=10, talk=120, caller="+33612345601"
            ),
            # 23:30 on 31 March in Paris (summer time since the 29th)
            "c2": cls._call("c2", cls.user_anna, "inbound", "2026-03-31 21:30:00", ring=25, caller="+33699999901"),
            "c3": cls._call(
                "c3", cls.user_anna, "outbound", "2026-03-10 09:00:00", ring=5, talk=300, called="0612345601"
            ),
            "c4": cls._call("c4", cls.user_boris, "inbound", "2026-03-10 14:00:00", ring=30, caller="+33699999902"),
            # Boris calls back the number that c4 missed
            "c5": cls._call(
                "c5", cls.user_boris, "outbound", "2026-03-10 15:00:00", ring=4, talk=60, called="+33699999902"
            ),
            "c6": cls._call(
                "c6",
                cls.user_anna,
                "internal",
                "2026-03-12 10:00:00",
                ring=3,
                talk=600,
                called=cls.room.extension,
                conference_id=cls.room.id,
            ),
            # 00:30 on 1 April in Paris, still March in UTC
            "c8": cls._call("c8", cls.user_anna, "inbound", "2026-03-31 22:30:00", ring=20, caller="+33699999903"),
        }
        other_pbx = cls.env["telephony.pbx"].create(
            {"name": "BE PBX", "ari_url": "http://127.0.0.1:9", "ari_password": "x", "company_id": cls.other_company.id}
        )
        cls.env["telephony.call"].create(
            {
                "pbx_id": other_pbx.id,
                "pbx_unique_id": "c7",
                "direction": "inbound",
                "state": "missed",
                "caller_number": "+32470123456",
                "start_date": at("2026-03-15 10:00:00"),
                "end_date": at("2026-03-15 10:00:20"),
                "company_id": cls.other_company.id,
            }
        )

    @classmethod
    def _call(cls, key, user, direction, start, ring, talk=0, caller=None, called=None, **values):
        start = at(start)
        answered = bool(talk)
        return cls.env["telephony.call"].create(
            {
                "pbx_id": cls.pbx.id,
                "pbx_unique_id": key,
                "direction": direction,
                "state": "answered" if answered else "missed",
                "user_id": user.id,
                "caller_number": caller or user.telephony_extension,
                "called_number": called or user.telephony_extension,
                "start_date": start,
                "answer_date": start + timedelta(seconds=ring) if answered else False,
                "end_date": start + timedelta(seconds=ring + talk),
                "company_id": cls.company.id,
                **values,
            }
        )

    def _data(self, user, **kwargs):
        kwargs.setdefault("period", "custom")
        kwargs.setdefault("date_from", "2026-03-01")
        kwargs.setdefault("date_to", "2026-03-31")
        return self.env["telephony.dashboard"].with_user(user).get_dashboard_data(**kwargs)

    def _kpis(self, data):
        return {kpi["key"]: kpi["value"] for kpi in data["kpis"]}

    def _calls_behind(self, user, domain):
        return set(self.env["telephony.call"].with_user(user).search(domain).mapped("pbx_unique_id"))

    def test_a_user_sees_exact_figures_of_their_own_calls_in_their_time_zone(self):
        data = self._data(self.user_anna)
        self.assertEqual(
            self._kpis(data),
            {
                "total": 4,
                "inbound": 2,
                "outbound": 1,
                "answered": 3,
                "missed": 1,
                "missed_open": 1,
                "ring_avg": 11,  # (10 + 25 + 5 + 3) / 4
                "ring_max": 25,
                "talk_avg": 340,  # (120 + 300 + 600) / 3
                "known": 1,
                "unknown": 1,
            },
        )
        self.assertEqual(self._calls_behind(self.user_anna, data["domain"]), {"c1", "c2", "c3", "c6"})
        kpi = {kpi["key"]: kpi for kpi in data["kpis"]}
        self.assertEqual(self._calls_behind(self.user_anna, kpi["missed_open"]["domain"]), {"c2"})
        self.assertEqual(self._calls_behind(self.user_anna, kpi["ring_max"]["domain"]), {"c2"})
        self.assertEqual(self._calls_behind(self.user_anna, kpi["known"]["domain"]), {"c1"})
        self.assertEqual([(e["name"], e["total"]) for e in data["employees"]], [(self.user_anna.name, 4)])
        self.assertEqual(data["conferences"], {**data["conferences"], "rooms": 1, "participants": 1, "minutes": 10})

    def test_days_and_hours_are_local(self):
        data = self._data(self.user_anna)
        days = data["days"]
        self.assertEqual((days["labels"][0], days["labels"][-1], len(days["labels"])), ("2026-03-01", "2026-03-31", 31))
        series = {series["key"]: series for series in days["series"]}
        self.assertEqual(series["inbound_answered"]["values"][0], 1, "c1 rang at 00:30 on 1 March in Paris")
        self.assertEqual(series["inbound_missed"]["values"][30], 1, "c2 rang at 23:30 on 31 March in Paris")
        self.assertEqual(series["outbound_answered"]["values"][9], 1)
        self.assertEqual(self._calls_behind(self.user_anna, series["inbound_missed"]["domains"][30]), {"c2"})
        heatmap = {row["weekday"]: row["cells"] for row in data["heatmap"]["rows"]}
        self.assertEqual(heatmap[7][0], 1, "1 March 2026 is a Sunday; 00:30 local")
        self.assertEqual(heatmap[2][23], 1, "31 March 2026 is a Tuesday; 23:30 local")
        self.assertEqual(heatmap[2][10], 1, "10 March 09:00 UTC is 10:00 in Paris, winter time")
        cell = self.env["telephony.dashboard"].with_user(self.user_anna).get_heatmap_domain(data["domain"], 7, 0)
        self.assertEqual(self._calls_behind(self.user_anna, cell), {"c1"})

    def test_a_manager_sees_everyone_of_their_companies_in_utc(self):
        data = self._data(self.manager)
        self.assertEqual(
            self._calls_behind(self.manager, data["domain"]),
            {"c2", "c3", "c4", "c5", "c6", "c8"},
            "not c7: other company",
        )
        kpis = self._kpis(data)
        self.assertEqual((kpis["total"], kpis["missed"], kpis["missed_open"]), (6, 3, 2))
        kpi = {kpi["key"]: kpi for kpi in data["kpis"]}
        self.assertEqual(self._calls_behind(self.manager, kpi["missed_open"]["domain"]), {"c2", "c8"})
        self.assertEqual(
            [(e["name"], e["total"], e["answered"], e["missed"]) for e in data["employees"]],
            [(self.user_anna.name, 4, 2, 2), (self.user_boris.name, 2, 1, 1)],
        )
        only_boris = self._data(self.manager, user_ids=[self.user_boris.id])
        self.assertEqual(self._kpis(only_boris)["total"], 2)
        self.assertEqual(
            {user["id"] for user in data["filters"]["users"]} >= {self.user_anna.id, self.user_boris.id}, True
        )

    def test_team_filter_uses_the_employees_department(self):
        sales = self.env["hr.department"].create({"name": "Sales", "company_id": self.company.id})
        employee = self.env["hr.employee"].create(
            {"name": "Boris", "user_id": self.user_boris.id, "department_id": sales.id, "company_id": self.company.id}
        )
        self.env["telephony.call"].search([("user_id", "=", self.user_boris.id)]).employee_id = employee
        data = self._data(self.manager, department_ids=[sales.id])
        self.assertEqual(self._calls_behind(self.manager, data["domain"]), {"c4", "c5"})

    def test_month_and_quarter_follow_the_calendar(self):
        with freeze_time("2026-03-31 22:10:00"):  # already 1 April in Paris
            month = self._data(self.user_anna, period="month", date_from=False, date_to=False)
            quarter = self._data(self.user_anna, period="quarter", date_from=False, date_to=False)
        self.assertEqual((month["period"]["date_from"], month["period"]["date_to"]), ("2026-04-01", "2026-04-30"))
        self.assertEqual(self._calls_behind(self.user_anna, month["domain"]), {"c8"})
        self.assertEqual((quarter["period"]["date_from"], quarter["period"]["date_to"]), ("2026-04-01", "2026-06-30"))

    def test_this_week_starts_on_the_first_day_of_the_week_of_the_users_language(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        weeks = {}
        dashboard = self.env["telephony.dashboard"].with_user(self.user_anna)
        for lang in ("en_US", "fr_FR"):
            # The web client sends the user's language in the context of every call.
            with freeze_time("2026-03-31 22:10:00"):  # Wednesday 1 April in Paris
                week = dashboard.with_context(lang=lang).get_dashboard_data(period="week")["period"]
            weeks[lang] = (week["date_from"], week["date_to"])
        # As Odoo's calendars show weeks: from Sunday in English (US), from Monday in French.
        self.assertEqual(weeks, {"en_US": ("2026-03-29", "2026-04-04"), "fr_FR": ("2026-03-30", "2026-04-05")})

    def test_bad_periods_and_access_are_refused(self):
        with self.assertRaisesRegex(UserError, "ends before it starts"):
            self._data(self.user_anna, date_from="2026-03-31", date_to="2026-03-01")
        with self.assertRaisesRegex(UserError, "YYYY-MM-DD"):
            self._data(self.user_anna, date_from="31/03/2026")
        with self.assertRaisesRegex(UserError, "Unknown period"):
            self._data(self.user_anna, period="decade")
        self.user_anna.telephony_enabled = False
        with self.assertRaisesRegex(AccessError, "Statistics are for users who make and receive calls"):
            self._data(self.user_anna)
        with self.assertRaises(AccessError):
            self._data(self.plain_user)

    def test_statistics_menu_and_report_form_follow_the_personal_settings(self):
        menu = self.env.ref("telephony.telephony_menu_statistics")
        menus = self.env["ir.ui.menu"]
        self.assertNotIn(menu.id, menus.with_user(self.user_anna)._load_menus_blacklist())
        self.user_anna.with_user(self.user_anna).telephony_enabled = False
        self.assertIn(menu.id, menus.with_user(self.user_anna)._load_menus_blacklist())
        dashboard = self.env["telephony.dashboard"]
        self.assertEqual(dashboard.with_user(self.user_boris).action_open_statistics()["tag"], "telephony_dashboard")
        self.user_boris.with_user(self.user_boris).telephony_report_form = "panel"
        panel = dashboard.with_user(self.user_boris).action_open_statistics()
        self.assertEqual((panel["res_model"], panel["view_mode"]), ("telephony.call", "pivot,graph,list,form"))


@tagged("post_install", "-at_install")
class TestCallNumbersDisplay(TelephonyCase):
    def test_lists_show_every_number_in_one_format_and_search_the_numbers_as_dialled(self):
        dialled = ["+33142685300", "0142685300", "+33 1 42 68 53 00"]
        calls = self.env["telephony.call"]
        for index, number in enumerate(dialled):
            calls |= self._new_call(f"display-{index}", self.user_anna, caller_number=number, called_number="201")
        calls = calls.with_user(self.user_anna)
        self.assertEqual(set(calls.mapped("caller_number_display")), {"+33 1 42 68 53 00"})
        self.assertEqual(set(calls.mapped("called_number_display")), {"201"}, "an extension stays as it is")
        self.assertEqual(calls.search([("caller_number", "=", "0142685300")]), calls[1])
        list_fields = self.env["telephony.call"].get_views([(False, "list")])["views"]["list"]["arch"]
        self.assertIn('name="caller_number_display"', list_fields)
        self.assertNotIn('name="caller_number"', list_fields)


@tagged("post_install", "-at_install")
class TestCallBackFollowUp(TelephonyCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.telephony_followup_hours = 2
        cls.call_back_type = cls.env.ref("telephony.mail_activity_type_call_back")
        cls.now = fields.Datetime.now()

    def test_a_call_back_delay_beyond_a_year_is_refused_by_name(self):
        # Past year 1 the cron's date arithmetic overflows, and it would stop for every company.
        for hours in (10**7, -1):
            with self.subTest(hours=hours), self.assertRaisesRegex(ValidationError, "between 0 and 8760 hours"):
                self.company.telephony_followup_hours = hours
        self.company.telephony_followup_hours = 8760
        self.env["telephony.call"]._cron_schedule_callbacks()

    def _missed(self, key, hours_ago, caller, user=None):
        start = self.now - timedelta(hours=hours_ago)
        return self._new_call(
            key, user or self.user_anna, caller_number=caller, state="missed", start_date=start, end_date=start
        )

    def _activities(self, record):
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", record._name),
                ("res_id", "=", record.id),
                ("activity_type_id", "=", self.call_back_type.id),
            ]
        )

    def test_missed_calls_not_called_back_get_one_activity_after_the_delay(self):
        due = self._missed("f-1", 3, "+33655500001")
        recent = self._missed("f-2", 1, "+33655500002")
        called_back = self._missed("f-3", 3, "+33655500003")
        self._new_call(
            "f-4",
            self.user_boris,
            direction="outbound",
            caller_number="202",
            called_number="0655500003",
            start_date=self.now - timedelta(hours=2),
            state="answered",
        )
        client = self.env["res.partner"].create(
            {"name": "Known", "mobile": "+33 6 55 50 00 05", "company_id": self.company.id}
        )
        known = self._missed("f-5", 4, "+33655500005")
        self.env["telephony.call"]._cron_schedule_callbacks()
        self.assertEqual(len(self._activities(due)), 1)
        self.assertEqual(self._activities(due).user_id, self.user_anna)
        self.assertIn("+33 6 55 50 00 01", self._activities(due).summary)
        self.assertFalse(self._activities(recent), "not before the delay")
        self.assertFalse(self._activities(called_back), "a later call to the number was a call back")
        self.assertEqual(len(self._activities(client)), 1, "a known caller's activity sits on their contact")
        self.assertTrue(known.followup_scheduled)
        self.env["telephony.call"]._cron_schedule_callbacks()
        self.assertEqual(len(self._activities(due)), 1, "once only")
        self.assertEqual(len(self._activities(client)), 1)

    def test_the_call_back_team_takes_turns(self):
        self.company.telephony_followup_user_ids = self.user_boris | self.manager
        # Calls that rang Boris: a team member gets only the calls they may open.
        first = self._missed("f-6", 5, "+33655500006", user=self.user_boris)
        second = self._missed("f-7", 4, "+33655500007", user=self.user_boris)
        self.env["telephony.call"]._cron_schedule_callbacks()
        self.assertEqual(
            (self._activities(first).user_id, self._activities(second).user_id), (self.user_boris, self.manager)
        )

    def test_the_dashboard_counts_open_call_backs(self):
        self.user_anna.telephony_enabled = True
        self._missed("f-8", 3, "+33655500008")
        dashboard = self.env["telephony.dashboard"].with_user(self.user_anna)
        self.assertEqual(dashboard.get_dashboard_data("today")["followups_open"]["count"], 0)
        self.env["telephony.call"]._cron_schedule_callbacks()
        self.assertEqual(dashboard.get_dashboard_data("today")["followups_open"]["count"], 1)

    def test_a_team_filter_counts_the_teams_call_backs_only(self):
        """A manager reads every call-back to do of their users (activities on calls nobody may write), and a
        team's only once they pick it, as every other figure."""
        sales = self.env["hr.department"].create({"name": "Sales", "company_id": self.company.id})
        self.env["hr.employee"].create(
            {"name": "Boris", "user_id": self.user_boris.id, "department_id": sales.id, "company_id": self.company.id}
        )
        (self.user_anna | self.user_boris | self.manager).telephony_enabled = True
        self._missed("f-9", 3, "+33655500009")
        self._missed("f-10", 3, "+33655500010", user=self.user_boris)
        self.env["telephony.call"]._cron_schedule_callbacks()
        dashboard = self.env["telephony.dashboard"].with_user(self.manager)
        self.assertEqual(dashboard.get_dashboard_data("today")["followups_open"]["count"], 2)
        team = dashboard.get_dashboard_data("today", department_ids=[sales.id])["followups_open"]
        self.assertEqual(team["count"], 1)
        self.assertEqual(
            self.env["mail.activity"].with_user(self.manager).search(team["domain"]).user_id, self.user_boris
        )
        everyone = [("activity_type_id", "=", self.call_back_type.id)]
        self.assertEqual(
            self.env["mail.activity"].with_user(self.user_boris).search(everyone).user_id,
            self.user_boris,
            "a plain user sees no call-back on a call they may not read",
        )


@tagged("post_install", "-at_install")
class TestStatisticsUi(HttpCase):
    """Both report forms in a real browser, reached from the Statistics menu by the personal setting."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        pbx = cls.env["telephony.pbx"].create(
            {"name": "Stats PBX", "ari_url": "http://127.0.0.1:9", "ari_password": "x"}
        )
        now = fields.Datetime.now()
        for login, form in (("stats_simplified", "simplified"), ("stats_panel", "panel")):
            user = cls.env["res.users"].create(
                {
                    "name": login.replace("_", " ").title(),
                    "login": login,
                    "password": f"{login}_pw",
                    "groups_id": [Command.set([cls.env.ref("telephony.group_telephony_user").id])],
                    "telephony_enabled": True,
                    "telephony_report_form": form,
                    "tz": "UTC",
                }
            )
            for index, state in enumerate(("answered", "missed")):
                cls.env["telephony.call"].create(
                    {
                        "pbx_id": pbx.id,
                        "pbx_unique_id": f"{login}-{index}",
                        "direction": "inbound",
                        "state": state,
                        "user_id": user.id,
                        "caller_number": f"+3365550010{index}",
                        "start_date": now - timedelta(minutes=10 + index),
                        "end_date": now - timedelta(minutes=5),
                    }
                )

    def test_simplified_report_form_opens_the_dashboard(self):
        self.start_tour("/odoo", "telephony_statistics_simplified_tour", login="stats_simplified", timeout=120)

    def test_report_panel_form_opens_the_pivot(self):
        self.start_tour("/odoo", "telephony_statistics_panel_tour", login="stats_panel", timeout=120)
