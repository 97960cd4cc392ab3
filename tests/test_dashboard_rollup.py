import random
import threading
from datetime import datetime, timedelta
from unittest.mock import patch

import pytz
from freezegun import freeze_time
from psycopg2 import errors

from odoo import Command, api
from odoo.tests import TransactionCase, tagged

from ..models.telephony_call_rollup import KEYS, ROLLUP_TABLE
from ..models.telephony_dashboard_rollup import _local_hours_start, _offsets
from .common import TelephonyCase

# Paris and New York read hour buckets; Kolkata, Adelaide (+10:30 in summer, +9:30 in winter) and St. John's
# (-2:30, -3:30) half-past hours; Kathmandu and Eucla quarter-past hours; Lord Howe (+11 in summer, +10:30 in
# winter) hours in its summer months, half-past hours in its winter months, quarter hours for a year.
ZONES = (
    "Europe/Paris",
    "America/New_York",
    "Asia/Kolkata",
    "Australia/Adelaide",
    "America/St_Johns",
    "Asia/Kathmandu",
    "Australia/Eucla",
    "Australia/Lord_Howe",
)
# Around the DST changes of 2026 in Paris (29 March, 25 October) and New York (8 March, 1 November), in UTC.
DST_CHANGES = ("2026-03-29 01:00", "2026-10-25 01:00", "2026-03-08 07:00", "2026-11-01 06:00")
FIRST_DAY = datetime(2025, 10, 1)
YEAR = {"period": "custom", "date_from": "2025-11-02", "date_to": "2026-11-01"}
GRAINS = ("c", "d", "h", "i", "j", "q", "u", "v", "w")
PERIODS = ({"period": "today"}, {"period": "week"}, {"period": "month"}, {"period": "quarter"}, YEAR)


class RollupCase(TelephonyCase):
    """The dashboard read from the roll-up must equal the dashboard read from a scan of the journal."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager.company_ids = [Command.set([cls.company.id, cls.other_company.id])]
        cls.user_erik = cls._new_user("erik_t", "telephony.group_telephony_user", extension="301")
        cls.user_erik.write({"company_ids": [Command.set([cls.other_company.id])], "company_id": cls.other_company.id})
        (cls.user_anna | cls.user_boris | cls.manager | cls.user_erik).write({"telephony_enabled": True})
        cls.sales = cls.env["hr.department"].create({"name": "Sales", "company_id": cls.company.id})
        cls.employee_anna = cls.env["hr.employee"].create(
            {"name": "Anna", "user_id": cls.user_anna.id, "department_id": cls.sales.id, "company_id": cls.company.id}
        )
        cls.other_pbx = cls.env["telephony.pbx"].create(
            {"name": "BE PBX", "ari_url": "http://127.0.0.1:9", "ari_password": "x", "company_id": cls.other_company.id}
        )
        cls.env["res.partner"].create({"name": "Known Client", "phone": "+33 6 12 34 56 01"})

    def _dashboard(self, user, zone="Europe/Paris", companies=None):
        context = {"tz": zone, **({"allowed_company_ids": companies.ids} if companies else {})}
        return self.env["telephony.dashboard"].with_user(user).with_context(**context)

    def assertRollupEqualsScan(self, user, zone="Europe/Paris", companies=None, **kwargs):
        dashboard = self._dashboard(user, zone, companies)
        self.assertIsNotNone(dashboard._rollup_viewer(), "the roll-up answers this user")
        rolled_up = dashboard.get_dashboard_data(**kwargs)
        with patch.object(self.registry["telephony.dashboard"], "_rollup_viewer", return_value=None):
            scanned = dashboard.get_dashboard_data(**kwargs)
        self.assertEqual(rolled_up, scanned, f"{user.login} in {zone}, {kwargs}")
        return rolled_up

    def _kpis(self, data):
        return {kpi["key"]: kpi["value"] for kpi in data["kpis"]}

    def _call(self, key, start, user=None, **values):
        pbx = self.other_pbx if values.get("company_id") == self.other_company.id else self.pbx
        return self.env["telephony.call"].create(
            {
                "pbx_id": pbx.id,
                "pbx_unique_id": key,
                "direction": "inbound",
                "state": "missed",
                "caller_number": "+33612345601",
                "called_number": "201",
                "user_id": user.id if user else False,
                "start_date": start,
                "end_date": start + timedelta(seconds=20),
                "company_id": pbx.company_id.id,
                **values,
            }
        )


@tagged("post_install", "-at_install")
class TestDashboardRollup(RollupCase):
    def _random_calls(self, count, seed):
        rng = random.Random(seed)
        numbers = ["+33612345601", "+33612345602", "+33699999901", "+919876543210", False]
        starts = [datetime.strptime(change, "%Y-%m-%d %H:%M") for change in DST_CHANGES]
        vals_list = []
        for index in range(count):
            if rng.random() < 0.3:
                start = rng.choice(starts) + timedelta(minutes=rng.randint(-240, 240), seconds=rng.randint(0, 59))
            else:
                start = FIRST_DAY + timedelta(seconds=rng.randint(0, 430 * 86400))
            belgian = rng.random() < 0.15
            users = [self.user_erik, None] if belgian else [self.user_anna, self.user_boris, self.manager, None]
            user = rng.choice(users)
            state = rng.choice(["answered", "answered", "missed", "busy", "failed", "rejected", "ringing"])
            ring = rng.randint(0, 60)
            talk = rng.randint(1, 2000) if state == "answered" else 0
            number = rng.choice(numbers)
            values = {
                "direction": rng.choice(["inbound", "inbound", "outbound", "internal"]),
                "state": state,
                "caller_number": number or "201",
                "called_number": rng.choice(numbers) or "202",
                "answer_date": start + timedelta(seconds=ring) if state == "answered" else False,
                "end_date": False if state == "ringing" else start + timedelta(seconds=ring + talk),
            }
            if not belgian:
                values["company_id"] = self.company.id
                values["conference_id"] = self.room.id if rng.random() < 0.15 else False
                with_employee = user == self.user_anna and rng.random() < 0.8
                values["employee_id"] = self.employee_anna.id if with_employee else False
                if rng.random() < 0.2:
                    values["answered_user_id"] = rng.choice([self.user_anna, self.user_boris]).id
                if rng.random() < 0.1:
                    values["transfer_user_id"] = rng.choice([self.user_anna, self.user_boris]).id
                    values["transferred_by_id"] = rng.choice([self.user_anna, self.manager]).id
            else:
                values["company_id"] = self.other_company.id
            vals_list.append((f"r{seed}-{index}", start, user, values))
        for key, start, user, values in vals_list:
            self._call(key, start, user, **values)

    @freeze_time("2026-03-29 10:00:00")
    def test_every_figure_from_the_rollup_equals_the_scan_on_random_calls(self):
        self._random_calls(600, seed=14)
        for user in (self.manager, self.user_anna, self.user_boris):
            for zone in ZONES:
                for period in PERIODS:
                    self.assertRollupEqualsScan(user, zone, **period)
        self.assertRollupEqualsScan(self.manager, "Asia/Kathmandu", user_ids=[self.user_anna.id], **YEAR)
        for zone in ("America/New_York", "Asia/Kolkata", "Asia/Kathmandu", "Australia/Lord_Howe"):
            self.assertRollupEqualsScan(self.manager, zone, department_ids=[self.sales.id], **YEAR)
        self.assertRollupEqualsScan(self.user_anna, "Asia/Kolkata", department_ids=[self.sales.id], **YEAR)
        self.assertRollupEqualsScan(self.user_erik, "Australia/Eucla", **YEAR)
        self.assertRollupEqualsScan(self.manager, "Asia/Kolkata", companies=self.company, **YEAR)
        self.assertRollupEqualsScan(self.manager, "Asia/Kolkata", companies=self.other_company, **YEAR)

    @freeze_time("2026-11-01 15:00:00")
    def test_the_rollup_equals_the_scan_across_the_autumn_changes(self):
        self._random_calls(300, seed=41)
        for zone in ZONES:
            for period in PERIODS:
                self.assertRollupEqualsScan(self.manager, zone, **period)
                self.assertRollupEqualsScan(self.user_anna, zone, **period)

    @freeze_time("2026-11-15 12:00:00")
    def test_days_and_cells_count_the_calls_their_domains_list(self):
        """The period's bounds, its days' domains and the roll-up place calls by pytz's offsets; the scan and a
        heatmap cell's domain placed them by PostgreSQL's time zone data, which may be another version (here the
        system's tzdata 2025b against pytz 2026f: Vancouver stays at -7 after 1 November 2026 for pytz only)."""
        # 07:30 UTC is 00:30 on the 2nd at -7 and 23:30 on the 1st at -8.
        for index in range(8):
            self._call(f"vancouver-{index}", datetime(2026, 11, 2, 7, 30) + timedelta(hours=3 * index), self.user_anna)
        with patch.object(self.registry["telephony.dashboard"], "_rollup_viewer", return_value=None):
            self._assert_figures_count_their_domains(self.manager, "America/Vancouver", period="month")
        self._assert_figures_count_their_domains(self.manager, "America/Vancouver", period="month")
        data = self.assertRollupEqualsScan(self.manager, "America/Vancouver", period="month")
        self.assertEqual(sum(data["days"]["series"][1]["values"]), 8)

    def _assert_figures_count_their_domains(self, user, zone, **kwargs):
        """What a user clicks lists the calls the figure counts: each day of each series, each heatmap cell."""
        dashboard = self._dashboard(user, zone)
        data = dashboard.get_dashboard_data(**kwargs)
        calls = self.env["telephony.call"].with_user(user)
        for series in data["days"]["series"]:
            counted = [calls.search_count(domain) for domain in series["domains"]]
            self.assertEqual(series["values"], counted, f"{series['key']} in {zone}")
        for row in data["heatmap"]["rows"]:
            for hour, value in enumerate(row["cells"]):
                domain = dashboard.get_heatmap_domain(data["domain"], row["weekday"], hour)
                self.assertEqual(value, calls.search_count(domain), f"weekday {row['weekday']} {hour}:00 in {zone}")

    def test_hour_buckets_serve_only_zones_whose_hours_they_fall_in(self):
        year = (datetime(2025, 11, 2), datetime(2026, 11, 2))
        for zone, hours_start in (
            ("UTC", 0),
            ("Europe/Paris", 0),
            ("America/New_York", 0),
            ("Asia/Kolkata", 30),
            ("Australia/Adelaide", 30),
            ("America/St_Johns", 30),
            ("Asia/Kathmandu", 15),
            ("Australia/Eucla", 15),
            ("Pacific/Chatham", None),
            ("Australia/Lord_Howe", None),
        ):
            self.assertEqual(_local_hours_start(_offsets(pytz.timezone(zone), *year)), hours_start, zone)
        lord_howe = pytz.timezone("Australia/Lord_Howe")
        summer = (datetime(2026, 1, 1), datetime(2026, 3, 31))
        self.assertEqual(_local_hours_start(_offsets(lord_howe, *summer)), 0, "+11 all through")
        winter = (datetime(2026, 5, 1), datetime(2026, 8, 31))
        self.assertEqual(_local_hours_start(_offsets(lord_howe, *winter)), 30, "+10:30 all through")

    def test_a_user_never_sees_figures_of_calls_they_may_not_read(self):
        start = datetime(2026, 3, 10, 9, 0)
        self._call("boris-only", start, self.user_boris, state="answered", answer_date=start, end_date=start)
        self._call("anna-own", start, self.user_anna)
        # Answered and transferred to by Anna: hers too, counted once.
        self._call(
            "anna-answered",
            start,
            self.user_boris,
            answered_user_id=self.user_anna.id,
            transfer_user_id=self.user_anna.id,
        )
        self._call("be", start, self.user_erik, company_id=self.other_company.id)
        data = self.assertRollupEqualsScan(self.user_anna, **YEAR)
        self.assertEqual(self._kpis(data)["total"], 2)
        self.assertEqual(self.env["telephony.call"].with_user(self.user_anna).search_count(data["domain"]), 2)
        self.assertEqual(sorted(e["total"] for e in data["employees"]), [1, 1])
        self.assertEqual(self._kpis(self.assertRollupEqualsScan(self.user_boris, **YEAR))["total"], 2)
        self.assertEqual(self._kpis(self.assertRollupEqualsScan(self.manager, **YEAR))["total"], 4)
        self.assertEqual(self._kpis(self.assertRollupEqualsScan(self.user_erik, **YEAR))["total"], 1)

    def test_rules_the_rollup_does_not_know_fall_back_to_the_scan(self):
        start = datetime(2026, 3, 10, 9, 0)
        self._call("in", start, self.user_anna)
        self._call("internal", start, self.user_anna, direction="internal")
        self.env["ir.rule"].create(
            {
                "name": "No internal calls in reports",
                "model_id": self.env.ref("telephony.model_telephony_call").id,
                "domain_force": "[('direction', '!=', 'internal')]",
            }
        )
        dashboard = self._dashboard(self.user_anna)
        self.assertIsNone(dashboard._rollup_viewer())
        self.assertEqual(self._kpis(dashboard.get_dashboard_data(**YEAR))["total"], 1)

    def test_an_edited_call_rule_falls_back_to_the_scan(self):
        self.env.ref("telephony.telephony_call_rule_user").domain_force = "[('user_id', '=', user.id)]"
        self.assertIsNone(self._dashboard(self.user_anna)._rollup_viewer())
        self.assertEqual(self._dashboard(self.manager)._rollup_viewer(), 0)


@tagged("post_install", "-at_install")
class TestDashboardRollupChanges(RollupCase):
    """Late events, deletions and moves keep the roll-up equal to the journal."""

    def setUp(self):
        super().setUp()
        self.start = datetime(2026, 3, 10, 9, 7)

    def _figures(self, user=None, companies=None, **kwargs):
        return self._kpis(self.assertRollupEqualsScan(user or self.manager, companies=companies, **(kwargs or YEAR)))

    def test_a_late_event_moves_a_call_between_figures(self):
        call = self._call("late", self.start, self.user_anna, state="ringing", end_date=False)
        self.assertEqual(self._figures()["answered"], 0)
        call.write({"state": "answered", "answer_date": self.start + timedelta(seconds=40)})
        call.write({"end_date": self.start + timedelta(seconds=400)})
        figures = self._figures()
        self.assertEqual((figures["answered"], figures["ring_max"], figures["talk_avg"]), (1, 40, 360))

    def test_a_call_deleted_by_a_manager_leaves_every_figure(self):
        longest = self._call("longest", self.start, self.user_anna, end_date=self.start + timedelta(seconds=90))
        self._call("shorter", self.start, self.user_anna, end_date=self.start + timedelta(seconds=30))
        self.assertEqual(self._figures()["ring_max"], 90)
        longest.with_user(self.manager).sudo().unlink()
        figures = self._figures()
        self.assertEqual((figures["total"], figures["ring_max"]), (1, 30))

    def test_a_call_whose_start_user_or_company_changes_moves(self):
        call = self._call("moving", self.start, self.user_anna)
        self.assertEqual(self._figures(self.user_anna)["total"], 1)
        call.start_date = self.start + timedelta(days=40)
        self._figures(period="custom", date_from="2026-04-01", date_to="2026-04-30")
        call.user_id = self.user_boris
        self.assertEqual(self._figures(self.user_anna)["total"], 0)
        self.assertEqual(self._figures(self.user_boris)["total"], 1)
        call.write({"company_id": self.other_company.id, "user_id": self.user_erik.id, "pbx_id": self.other_pbx.id})
        self.assertEqual(self._figures(self.user_boris)["total"], 0)
        self.assertEqual(self._figures(self.user_erik)["total"], 1)
        self.assertEqual(self._figures(companies=self.company)["total"], 0)
        self.assertEqual(self._figures(companies=self.other_company)["total"], 1)

    def test_figures_written_in_sql_follow_a_call_back_and_a_new_contact(self):
        self._call("missed", self.start, self.user_anna, caller_number="+33699999977")
        self.assertEqual(self._figures()["missed_open"], 1)
        self.assertEqual(self._figures()["unknown"], 1)
        self._call(
            "back",
            self.start + timedelta(hours=1),
            self.user_anna,
            direction="outbound",
            called_number="+33699999977",
            state="answered",
            answer_date=self.start + timedelta(hours=1),
        )
        self.assertEqual(self._figures()["missed_open"], 0)
        self.env["res.partner"].create({"name": "New Client", "phone": "+33 6 99 99 99 77"})
        figures = self._figures()
        self.assertEqual((figures["known"], figures["unknown"]), (1, 0))

    def test_an_update_rebuilds_a_rollup_kept_with_other_grains(self):
        self._call("kolkata", self.start, self.user_anna)
        self.env.flush_all()
        # The table as the version before the half-past hours left it: a Kolkata user's hours are not in it.
        self.env.cr.execute(f"DELETE FROM {ROLLUP_TABLE} WHERE grain IN ('i', 'v', 'j', 'w')")  # noqa: S608
        self.env.cr.execute(f"COMMENT ON TABLE {ROLLUP_TABLE} IS 'grains q d c h u'")
        self.env["telephony.call"].init()
        data = self.assertRollupEqualsScan(self.user_anna, "Asia/Kolkata", **YEAR)
        self.assertEqual(data["heatmap"]["max"], 1)

    def test_an_update_rebuilds_a_rollup_whose_user_hours_had_no_employees(self):
        """The version before kept users' hours without their employee: a team's hours read from it would be
        empty."""
        self._call("team", self.start, self.user_anna, employee_id=self.employee_anna.id)
        self.env.flush_all()
        self.env.cr.execute(
            f"UPDATE {ROLLUP_TABLE} SET employee_id = 0 WHERE grain IN ('u', 'v', 'w')"  # noqa: S608
        )
        self.env.cr.execute(f"COMMENT ON TABLE {ROLLUP_TABLE} IS 'grains q d c h u i v j w'")
        # And an index of that version's name without the columns the dashboard now reads from it alone.
        self.env.cr.execute(f"DROP INDEX {ROLLUP_TABLE}_user_hours_idx")
        self.env.cr.execute(f"CREATE INDEX {ROLLUP_TABLE}_user_hours_idx ON {ROLLUP_TABLE} (user_id, bucket)")
        self.env["telephony.call"].init()
        data = self.assertRollupEqualsScan(self.manager, department_ids=[self.sales.id], **YEAR)
        self.assertEqual(data["heatmap"]["max"], 1)
        self.env.cr.execute("SELECT indexdef FROM pg_indexes WHERE indexname = %s", [f"{ROLLUP_TABLE}_user_hours_idx"])
        self.assertIn("INCLUDE (company_id, direction, n, answered_n) WHERE ", self.env.cr.fetchone()[0])

    @freeze_time("2026-03-29 10:00:00")
    def test_a_team_follows_its_employees_moves_in_users_hours(self):
        """A team's series and heatmap read users' hours by employee: they follow an employee moved to another
        team, archived or deleted, a call's employee written by the ORM or in SQL, employees without a user or of
        another company, a user whose calls carry two employees, folded or not, as the scan does."""
        support = self.env["hr.department"].create({"name": "Support", "company_id": self.company.id})
        employee_boris = self.env["hr.employee"].create(
            {"name": "Boris", "user_id": self.user_boris.id, "department_id": support.id, "company_id": self.company.id}
        )
        employee_erik = self.env["hr.employee"].create(
            {"name": "Erik", "user_id": self.user_erik.id, "department_id": self.sales.id}
            | {"company_id": self.other_company.id}
        )
        freelancer = self.env["hr.employee"].create(
            {"name": "Freelancer", "department_id": self.sales.id, "company_id": self.company.id}
        )
        anna_support = self.env["hr.employee"].create(
            {"name": "Anna at the support desk", "department_id": support.id, "company_id": self.company.id}
        )
        rng = random.Random(19)
        employees = [self.employee_anna, anna_support, employee_boris, freelancer, employee_erik, None]
        calls = self.env["telephony.call"]
        for index in range(150):
            start = FIRST_DAY + timedelta(seconds=rng.randint(0, 430 * 86400))
            belgian = rng.random() < 0.15
            users = [self.user_erik, None] if belgian else [self.user_anna, self.user_boris, self.manager, None]
            employee = rng.choice(employees)
            values = {
                "employee_id": employee.id if employee else False,
                "company_id": (self.other_company if belgian else self.company).id,
                "direction": rng.choice(["inbound", "outbound"]),
            }
            if not belgian and rng.random() < 0.3:
                values["answered_user_id"] = rng.choice([self.user_anna, self.user_boris]).id
            calls |= self._call(f"team-{index}", start, rng.choice(users), **values)
        winter = {"period": "custom", "date_from": "2026-05-01", "date_to": "2026-08-31"}

        def check():
            for team in ([self.sales.id], [support.id], [self.sales.id, support.id]):
                for zone in ("Asia/Kathmandu", "Australia/Lord_Howe", "America/New_York"):
                    self.assertRollupEqualsScan(self.manager, zone, department_ids=team, **YEAR)
                self.assertRollupEqualsScan(self.manager, "Pacific/Chatham", department_ids=team, **winter)
                self.assertRollupEqualsScan(self.manager, companies=self.company, department_ids=team, **YEAR)
                self.assertRollupEqualsScan(
                    self.manager, department_ids=team, user_ids=[self.user_anna.id, self.user_boris.id], **YEAR
                )
                for user in (self.user_anna, self.user_boris, self.user_erik):
                    self.assertRollupEqualsScan(user, "Asia/Kolkata", department_ids=team, **YEAR)

        check()
        employee_boris.department_id = self.sales
        freelancer.active = False
        calls[:30].employee_id = employee_boris
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE telephony_call SET employee_id = %s WHERE id IN %s", (anna_support.id, tuple(calls[30:60].ids))
        )
        self.env.invalidate_all()
        check()
        self.env["telephony.call"]._rollup_compact()
        anna_support.unlink()
        check()

    def _edit_and_delete_calls(self):
        for index in range(20):
            call = self._call(
                f"c{index}",
                self.start + timedelta(minutes=7 * index),
                self.user_anna,
                end_date=self.start + timedelta(minutes=7 * index, seconds=30 - index),
            )
            if index % 3 == 0:
                call.write({"state": "answered", "user_id": self.user_boris.id})
            if index % 4 == 0:
                call.end_date = call.start_date + timedelta(seconds=5)
            if index % 5 == 0:
                call.unlink()

    def test_a_rebuild_gives_the_table_the_triggers_keep_once_folded(self):
        self._edit_and_delete_calls()
        self.env["telephony.call"]._rollup_compact()
        kept = self._rollup_rows()
        self.env["telephony.call"]._rollup_rebuild()
        self.assertEqual(self._rollup_rows(), kept)

    def test_folding_changes_no_figure(self):
        self._edit_and_delete_calls()
        periods = (YEAR, {"period": "custom", "date_from": "2026-03-10", "date_to": "2026-03-10"})
        users = (self.manager, self.user_anna, self.user_boris)
        before = [self.assertRollupEqualsScan(user, **period) for user in users for period in periods]
        self.assertEqual(self._kpis(before[0])["ring_max"], 29, "the longest ring (30 s) left: read from the journal")
        self.env["telephony.call"]._rollup_compact()
        self.assertEqual([self.assertRollupEqualsScan(user, **period) for user in users for period in periods], before)
        self.env.cr.execute(
            f"""SELECT count(*) FILTER (WHERE NOT folded), count(*) - count(DISTINCT ({KEYS})),
                       count(*) FILTER (WHERE ring_gone != 0)
                  FROM {ROLLUP_TABLE}"""  # noqa: S608
        )
        self.assertEqual(self.env.cr.fetchone(), (0, 0, 0), "one folded row per key, every longest ring known")

    def _rollup_rows(self):
        self.env.flush_all()
        self.env.cr.execute(f"SELECT * FROM {ROLLUP_TABLE} ORDER BY {KEYS}")  # noqa: S608
        rows = self.env.cr.fetchall()
        self.env.cr.execute(f"SELECT count(*) FROM {ROLLUP_TABLE} WHERE n = 0")  # noqa: S608
        self.assertEqual(self.env.cr.fetchone()[0], 0, "a key without calls keeps no row")
        return rows


@tagged("post_install", "-at_install")
class TestDashboardRollupConcurrency(TransactionCase):
    """Two writers adding to one bucket at once, each in its own committed transaction, as the listener's
    batches and the webhook do: both commit at their first attempt (they only append to the roll-up), and
    the roll-up loses and doubles nothing, folded or not."""

    CALLS = 15

    def setUp(self):
        super().setUp()
        with self.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            self.pbx_id = (
                env["telephony.pbx"]
                .create({"name": "Concurrent PBX", "ari_url": "http://127.0.0.1:9", "ari_password": "x"})
                .id
            )
            self.user_id = env.ref("base.user_admin").id
        self.addCleanup(self._clean)

    def _clean(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            env["telephony.call"].search([("pbx_id", "=", self.pbx_id)]).unlink()
            env["telephony.pbx"].browse(self.pbx_id).unlink()

    def _in_transaction(self, env, work):
        """Run ``work(env)`` and commit, once: a clash with the other writer is a failure, not a retry."""
        try:
            work(env)
            env.flush_all()
            env.cr.commit()  # pylint: disable=invalid-commit
        except (errors.SerializationFailure, errors.DeadlockDetected) as error:
            env.cr.rollback()
            self.failures.append(type(error).__name__)

    def _run_both(self, *works):
        """Each work in its own thread and transaction, both transactions begun before either writes."""
        self.failures = []
        # Environments are made here: making one takes the registry's lock, which the test runner holds.
        cursors = [self.registry.cursor() for _work in works]
        for cr in cursors:
            self.addCleanup(cr.close)
            cr.execute("SELECT 1")  # the transaction's snapshot: before the other one commits
        threads = [
            threading.Thread(
                target=self._in_transaction, args=(api.Environment(cr, api.SUPERUSER_ID, {}), work), daemon=True
            )
            for cr, work in zip(cursors, works, strict=True)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        self.assertFalse(any(thread.is_alive() for thread in threads))
        self.assertEqual(self.failures, [], "both writers commit at their first attempt")

    def _create_batch(self, prefix, start):
        def work(env):
            env["telephony.call"].create(
                [
                    {
                        "pbx_id": self.pbx_id,
                        "pbx_unique_id": f"{prefix}-{index}",
                        "direction": "inbound",
                        "state": "answered",
                        "user_id": self.user_id,
                        "caller_number": "+33612345601",
                        "start_date": start + timedelta(seconds=index),
                        "answer_date": start + timedelta(seconds=index + 5),
                        "end_date": start + timedelta(seconds=index + 65),
                    }
                    for index in range(self.CALLS)
                ]
            )

        return work

    def _assert_rollup_equals_journal(self):
        with self.registry.cursor() as cr:
            cr.execute(
                f"""SELECT grain, viewer, SUM(n), SUM(answered_n), SUM(talk_sum), SUM(missed_n)
                      FROM {ROLLUP_TABLE} WHERE bucket >= '2026-03-10' AND bucket < '2026-03-11'
                  GROUP BY grain, viewer ORDER BY grain, viewer"""  # noqa: S608
            )
            rolled_up = cr.fetchall()
            cr.execute(
                """SELECT count(*), count(*) FILTER (WHERE state = 'answered'), SUM(talk_seconds),
                          count(*) FILTER (WHERE state = 'missed')
                     FROM telephony_call WHERE start_date >= '2026-03-10' AND start_date < '2026-03-11'"""
            )
            journal = cr.fetchone()
        self.assertEqual(rolled_up, [(grain, 0, *journal) for grain in GRAINS])
        return journal

    def test_two_batches_and_a_late_event_at_once_lose_nothing(self):
        start = datetime(2026, 3, 10, 9, 0)
        self._run_both(self._create_batch("listener-a", start), self._create_batch("listener-b", start))
        self.assertEqual(self._assert_rollup_equals_journal()[0], 2 * self.CALLS)

        def late_event(env):
            calls = env["telephony.call"].search([("pbx_unique_id", "like", "listener-a-%")])
            calls.write({"state": "missed", "answer_date": False})

        self._run_both(self._create_batch("webhook", start), late_event)
        self.assertEqual(self._assert_rollup_equals_journal()[:2], (3 * self.CALLS, 2 * self.CALLS))

    def test_folding_while_a_batch_is_written_loses_nothing(self):
        start = datetime(2026, 3, 10, 9, 0)
        self._run_both(self._create_batch("listener-a", start), self._create_batch("listener-b", start))

        def fold(env):
            env["telephony.call"]._rollup_compact()

        # The fold's snapshot is older than the batch: it folds the first two batches and leaves the third.
        self._run_both(self._create_batch("webhook", start), fold)
        self.assertEqual(self._assert_rollup_equals_journal()[0], 3 * self.CALLS)
        self.assertEqual(self._appended_calls(), len(GRAINS) * self.CALLS, "the third batch waits for the next fold")
        self._run_both(fold)
        self.assertEqual(self._assert_rollup_equals_journal()[0], 3 * self.CALLS)
        self.assertEqual(self._appended_calls(), 0)

    def _appended_calls(self):
        with self.registry.cursor() as cr:
            cr.execute(
                f"""SELECT COALESCE(SUM(n), 0) FROM {ROLLUP_TABLE}
                     WHERE NOT folded AND bucket >= '2026-03-10' AND bucket < '2026-03-11'"""  # noqa: S608
            )
            return cr.fetchone()[0]
