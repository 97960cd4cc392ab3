from bisect import bisect_right
from datetime import datetime, time, timedelta
from itertools import pairwise

import pytz
from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from ..tools.groups import MANAGER_GROUP, USER_GROUP

PERIODS = ("today", "week", "month", "quarter", "custom")
MAX_CUSTOM_DAYS = 366
CALL = '"telephony_call"'


class TelephonyDashboard(models.AbstractModel):
    """The simplified call report: figures aggregated in SQL on the calls the user may read (record
    rules and companies apply), each with the domain of exactly the calls behind it."""

    _name = "telephony.dashboard"
    _description = "Call Statistics"

    @api.model
    def action_open_statistics(self):
        """The report form of the user's personal settings: the simplified dashboard or the report panel."""
        if self.env.user.telephony_report_form == "panel":
            return self.env["ir.actions.act_window"]._for_xml_id("telephony.telephony_call_action_report_panel")
        return self.env["ir.actions.actions"]._for_xml_id("telephony.telephony_dashboard_action")

    @api.model
    def get_dashboard_data(self, period="month", date_from=False, date_to=False, user_ids=None, department_ids=None):
        """Every figure of the dashboard for ``period`` (today, week, month, quarter, or custom from
        ``date_from`` to ``date_to``, dates in the user's time zone), for the given users and teams."""
        self._check_dashboard_access()
        tz = self._tz()
        first_day, last_day = self._period_days(period, date_from, date_to, tz)
        start, end = self._utc_bounds(first_day, last_day, tz)
        domain = [("start_date", ">=", start), ("start_date", "<", end)]
        if user_ids:
            domain.append(("user_id", "in", [int(user_id) for user_id in user_ids]))
        if department_ids:
            domain.append(("employee_id.department_id", "in", [int(dept) for dept in department_ids]))
        # Both the scan and the roll-up (kept by the database) read what is written, not what is in the cache.
        self.env["telephony.call"].flush_model()
        sets = self._figures(domain, tz, start, end, user_ids, department_ids)
        return {
            "period": {
                "key": period,
                "date_from": fields.Date.to_string(first_day),
                "date_to": fields.Date.to_string(last_day),
            },
            "domain": domain,
            "kpis": self._kpis(sets["total"], domain),
            "days": self._days(sets["day"], domain, first_day, last_day, tz),
            "employees": self._employees(sets["user"], domain),
            "heatmap": self._heatmap(sets["heat"]),
            "conferences": self._conferences(sets["room"], domain),
            "followups_open": self._open_followups(user_ids, department_ids),
            "filters": self._filter_options(),
        }

    @api.model
    def get_heatmap_domain(self, domain, weekday, hour):
        """The domain of the calls of one heatmap cell (ISO weekday, hour, in the user's time zone)."""
        self._check_dashboard_access()
        query = self.env["telephony.call"]._search(domain)
        first, last = self.env.execute_query(query.select(SQL(f"MIN({CALL}.start_date), MAX({CALL}.start_date)")))[0]
        if not first:
            return [("id", "in", [])]
        local = _local_start(_offsets(self._tz(), first, last + timedelta(seconds=1)))
        query.add_where(
            SQL("EXTRACT(ISODOW FROM %s) = %s AND EXTRACT(HOUR FROM %s) = %s", local, int(weekday), local, int(hour))
        )
        return [("id", "in", [row[0] for row in self.env.execute_query(query.select())])]

    def _check_dashboard_access(self):
        user = self.env.user
        if not user.has_group(USER_GROUP) or not user.telephony_enabled:
            raise AccessError(
                self.env._("Statistics are for users who make and receive calls from Odoo (My Profile › Telephony).")
            )

    def _tz(self):
        try:
            return pytz.timezone(self.env.context.get("tz") or self.env.user.tz or "UTC")
        except pytz.UnknownTimeZoneError:
            return pytz.utc

    def _period_days(self, period, date_from, date_to, tz):
        """First and last local day of the period (both included)."""
        today = datetime.now(tz).date()
        if period == "today":
            return today, today
        if period == "week":
            first = today - timedelta(days=(today.isoweekday() - self._week_start()) % 7)
            return first, first + timedelta(days=6)
        if period == "month":
            first = today.replace(day=1)
            return first, first + relativedelta(months=1, days=-1)
        if period == "quarter":
            first = today.replace(month=3 * ((today.month - 1) // 3) + 1, day=1)
            return first, first + relativedelta(months=3, days=-1)
        if period != "custom":
            raise UserError(self.env._("Unknown period %(period)s.", period=period))
        try:
            first, last = fields.Date.to_date(date_from), fields.Date.to_date(date_to)
        except ValueError as error:
            raise UserError(self.env._("Dates must be written YYYY-MM-DD.")) from error
        if not first or not last:
            raise UserError(self.env._("Choose both the first and the last day of the period."))
        if last < first:
            raise UserError(self.env._("The period ends before it starts."))
        if (last - first).days >= MAX_CUSTOM_DAYS:
            raise UserError(self.env._("Choose a period of at most a year."))
        return first, last

    def _week_start(self):
        """The first day of the week (ISO weekday) in the user's language, as Odoo's calendars start it:
        Sunday in English (US), Monday in French or Russian; Monday when the language is not installed."""
        lang = self.env.lang or self.env.user.lang
        return int(self.env["res.lang"]._get_data(code=lang).week_start or 1)

    def _utc_bounds(self, first_day, last_day, tz):
        """The UTC datetimes (as strings, for domains sent to the browser) of the local midnights that start
        ``first_day`` and end ``last_day``."""
        return self._local_midnight_utc(first_day, tz), self._local_midnight_utc(last_day + timedelta(days=1), tz)

    @staticmethod
    def _local_midnight_utc(day, tz):
        return fields.Datetime.to_string(_local_midnight(day, tz))

    @staticmethod
    def _local_midnights_utc(days, tz):
        """``_local_midnight_utc`` of each of the consecutive ``days``: a day after the one before, unless the
        offset changes (DST) within a day of it (pytz's localize takes 40 µs: a year's took 15 ms of every load)."""
        changes = getattr(tz, "_utc_transition_times", ())
        midnights = []
        for day in days:
            following = midnights[-1] + timedelta(days=1) if midnights else None
            if following and _no_change_between(changes, midnights[-1], following + timedelta(days=1)):
                midnights.append(following)
            else:
                midnights.append(_local_midnight(day, tz))
        return [fields.Datetime.to_string(midnight) for midnight in midnights]

    def _figures(self, domain, tz, start, end, user_ids, department_ids):
        """Every figure of the calls of ``domain`` (from ``start`` to ``end``, for those users and teams), by
        block: see ``_scan``. The roll-up answers them when it can (telephony_dashboard_rollup.py)."""
        return self._scan(domain, tz, start, end)

    def _scan(self, domain, tz, start, end):
        """Every figure in one scan of the period's calls (from ``start`` to ``end``): one grouping set per block
        of the dashboard.

        Returns {set name: [row dict, ...]}: "total" (one row), "day" (local day, direction, answered),
        "user", "heat" (ISO weekday, local hour) and "room" (conference).
        """
        query = self.env["telephony.call"]._search(domain)
        # PostgreSQL's JIT compiles this aggregation for longer than it runs (240 ms of 290 ms on 100,000
        # calls), and the default 4 MB of work memory sends a year's grouping sets to disk: both set for the
        # rest of this read-only request's transaction.
        self.env.cr.execute("SET LOCAL jit = off")
        self.env.cr.execute("SET LOCAL work_mem = '64MB'")
        local = _local_start(_offsets(tz, fields.Datetime.to_datetime(start), fields.Datetime.to_datetime(end)))
        calls = query.select(
            SQL("%s::date AS day", local),
            SQL("EXTRACT(ISODOW FROM %s)::int AS weekday", local),
            SQL("EXTRACT(HOUR FROM %s)::int AS hour", local),
            SQL(f"{CALL}.direction, {CALL}.state = 'answered' AS answered, {CALL}.state = 'missed' AS missed"),
            SQL(f"{CALL}.user_id, {CALL}.conference_id, {CALL}.ring_seconds, {CALL}.talk_seconds"),
            SQL(f"{CALL}.partner_id IS NOT NULL AS known, {CALL}.contact_number_e164 IS NOT NULL AS has_number"),
            SQL(f"{CALL}.callback_pending AS pending"),
        )
        rows = self.env.execute_query_dict(
            SQL(
                """WITH calls AS (%s)
                SELECT GROUPING(day, direction, answered) = 0 AS by_day, GROUPING(user_id) = 0 AS by_user,
                       GROUPING(weekday, hour) = 0 AS by_heat, GROUPING(conference_id) = 0 AS by_room,
                       day, direction, answered, user_id, weekday, hour, conference_id,
                       COUNT(*) AS total,
                       COUNT(*) FILTER (WHERE direction = 'inbound') AS inbound,
                       COUNT(*) FILTER (WHERE direction = 'outbound') AS outbound,
                       COUNT(*) FILTER (WHERE answered) AS answered_count,
                       COUNT(*) FILTER (WHERE missed) AS missed_count,
                       COUNT(*) FILTER (WHERE pending) AS pending,
                       AVG(ring_seconds) FILTER (WHERE ring_seconds > 0) AS ring_avg,
                       MAX(ring_seconds) AS ring_max,
                       AVG(talk_seconds) FILTER (WHERE answered) AS talk_avg,
                       COALESCE(SUM(talk_seconds), 0) AS talk_sum,
                       COUNT(*) FILTER (WHERE direction = 'inbound' AND known) AS known,
                       COUNT(*) FILTER (WHERE direction = 'inbound' AND NOT known AND has_number) AS unknown
                  FROM calls
              GROUP BY GROUPING SETS ((), (day, direction, answered), (user_id), (weekday, hour), (conference_id))""",
                calls,
            )
        )
        sets = {"total": [], "day": [], "user": [], "heat": [], "room": []}
        for row in rows:
            name = next(
                (
                    name
                    for name, flag in (("day", "by_day"), ("user", "by_user"), ("heat", "by_heat"), ("room", "by_room"))
                    if row[flag]
                ),
                "total",
            )
            sets[name].append(row)
        return sets

    def _kpis(self, totals, domain):
        row = totals[0] if totals else {}
        ring_max = row.get("ring_max") or 0
        inbound = [*domain, ("direction", "=", "inbound")]
        return [
            _kpi("total", self.env._("Calls"), row.get("total"), domain),
            _kpi("inbound", self.env._("Inbound"), row.get("inbound"), inbound),
            _kpi("outbound", self.env._("Outbound"), row.get("outbound"), [*domain, ("direction", "=", "outbound")]),
            _kpi("answered", self.env._("Answered"), row.get("answered_count"), [*domain, ("state", "=", "answered")]),
            _kpi("missed", self.env._("Missed"), row.get("missed_count"), [*domain, ("state", "=", "missed")]),
            _kpi(
                "missed_open",
                self.env._("Missed, not called back"),
                row.get("pending"),
                [*domain, ("callback_pending", "=", True)],
            ),
            _kpi(
                "ring_avg",
                self.env._("Average ring time"),
                _round(row.get("ring_avg")),
                [*domain, ("ring_seconds", ">", 0)],
                "duration",
            ),
            _kpi(
                "ring_max",
                self.env._("Longest ring time"),
                ring_max,
                [*domain, ("ring_seconds", "=", ring_max)],
                "duration",
            ),
            _kpi(
                "talk_avg",
                self.env._("Average talk time"),
                _round(row.get("talk_avg")),
                [*domain, ("state", "=", "answered")],
                "duration",
            ),
            _kpi("known", self.env._("Known callers"), row.get("known"), [*inbound, ("partner_id", "!=", False)]),
            _kpi(
                "unknown",
                self.env._("Unknown callers"),
                row.get("unknown"),
                [*inbound, ("partner_id", "=", False), ("contact_number_e164", "!=", False)],
            ),
        ]

    def _days(self, day_rows, domain, first_day, last_day, tz):
        """Calls per local day: inbound answered / missed, outbound answered / not answered."""
        counts = {(row["day"], row["direction"], row["answered"]): row["total"] for row in day_rows}
        days = [first_day + timedelta(days=offset) for offset in range((last_day - first_day).days + 1)]
        # Each local midnight once (a year's four series would otherwise convert 2,920 of them, 150 ms).
        midnights = self._local_midnights_utc([*days, last_day + timedelta(days=1)], tz)
        day_domains = [
            [("start_date", ">=", midnight), ("start_date", "<", next_midnight)]
            for midnight, next_midnight in zip(midnights[:-1], midnights[1:], strict=True)
        ]
        series = []
        for key, label, direction, answered in (
            ("inbound_answered", self.env._("Inbound answered"), "inbound", True),
            ("inbound_missed", self.env._("Inbound not answered"), "inbound", False),
            ("outbound_answered", self.env._("Outbound answered"), "outbound", True),
            ("outbound_unanswered", self.env._("Outbound not answered"), "outbound", False),
        ):
            state = [("state", "=", "answered")] if answered else [("state", "!=", "answered")]
            series.append(
                {
                    "key": key,
                    "label": label,
                    "values": [counts.get((day, direction, answered), 0) for day in days],
                    "domains": [
                        [*domain, *day_domain, ("direction", "=", direction), *state] for day_domain in day_domains
                    ],
                }
            )
        return {"labels": [fields.Date.to_string(day) for day in days], "series": series}

    def _employees(self, user_rows, domain):
        user_rows = sorted(user_rows, key=lambda row: (-row["total"], row["user_id"] or 0))
        names = {
            user.id: user.name
            for user in self.env["res.users"].sudo().browse([row["user_id"] for row in user_rows if row["user_id"]])
        }
        return [
            {
                "user_id": row["user_id"] or False,
                "name": names.get(row["user_id"]) or self.env._("Nobody"),
                "total": row["total"],
                "answered": row["answered_count"],
                "missed": row["missed_count"],
                "talk_seconds": row["talk_sum"],
                "domain": [*domain, ("user_id", "=", row["user_id"] or False)],
            }
            for row in user_rows
        ]

    def _heatmap(self, heat_rows):
        grid = {(row["weekday"], row["hour"]): row["total"] for row in heat_rows}
        return {
            "max": max(grid.values(), default=0),
            "rows": [
                {"weekday": weekday, "cells": [grid.get((weekday, hour), 0) for hour in range(24)]}
                for weekday in range(1, 8)
            ],
        }

    def _conferences(self, room_rows, domain):
        rooms = [row for row in room_rows if row["conference_id"]]
        return {
            "rooms": len(rooms),
            "participants": sum(row["total"] for row in rooms),
            "minutes": round(sum(row["talk_sum"] for row in rooms) / 60),
            "domain": [*domain, ("conference_id", "!=", False)],
        }

    def _open_followups(self, user_ids, department_ids):
        domain = [("activity_type_id", "=", self.env.ref("telephony.mail_activity_type_call_back").id)]
        if not self.env.user.has_group(MANAGER_GROUP):
            domain.append(("user_id", "=", self.env.uid))
        if user_ids:
            domain.append(("user_id", "in", [int(user_id) for user_id in user_ids]))
        if department_ids:
            # An activity is its user's: the team's are those of users who are employees of the team.
            domain.append(("user_id.employee_ids.department_id", "in", [int(dept) for dept in department_ids]))
        return {"count": self.env["mail.activity"].search_count(domain), "domain": domain}

    def _filter_options(self):
        if not self.env.user.has_group(MANAGER_GROUP):
            return {"users": [], "departments": []}
        users = self.env["res.users"].search(
            [("telephony_extension", "!=", False), ("share", "=", False), ("company_ids", "in", self.env.companies.ids)]
        )
        departments = self.env["hr.department"].search([("company_id", "in", [False, *self.env.companies.ids])])
        return {
            "users": [{"id": user.id, "name": user.name} for user in users],
            "departments": [{"id": dept.id, "name": dept.display_name} for dept in departments],
        }


def _local_midnight(day, tz):
    """The local midnight that starts ``day`` in ``tz``, as a naive UTC datetime."""
    return tz.localize(datetime.combine(day, time.min)).astimezone(pytz.utc).replace(tzinfo=None)


def _no_change_between(changes, after, until):
    """Whether none of the sorted UTC instants ``changes`` is after ``after`` and until ``until``."""
    index = bisect_right(changes, after)
    return index == len(changes) or changes[index] > until


def _offsets(tz, start, end):
    """The UTC offsets of ``tz`` from ``start`` to ``end`` (naive UTC): [(first instant, offset), ...], the
    first from ``start``, then one from each change of offset (DST) in the period."""
    # pytz's changes of offset (zones with a single offset have none): the ones the period's bounds and days
    # are computed with. Not PostgreSQL's AT TIME ZONE: the system's tzdata may be another version than pytz's
    # (tzdata 2025b and pytz 2026f disagree on Vancouver from November 2026), and a call would be counted on a
    # day or hour whose domain does not list it.
    changes = [change for change in getattr(tz, "_utc_transition_times", ()) if start < change < end]
    return [(instant, pytz.utc.localize(instant).astimezone(tz).utcoffset()) for instant in (start, *changes)]


def _offset_seconds(offsets, instant):
    """The UTC offset in seconds of ``instant`` (SQL of a naive UTC timestamp: a call's start, a roll-up row's
    bucket) in the period of ``offsets``, as SQL."""
    first, *changes = offsets
    if not changes:
        return SQL("%s", int(first[1].total_seconds()))
    whens = SQL(" ").join(
        SQL("WHEN %s < %s THEN %s", instant, change, int(offset.total_seconds()))
        for (_since, offset), (change, _new_offset) in pairwise(offsets)
    )
    return SQL("(CASE %s ELSE %s END)", whens, int(changes[-1][1].total_seconds()))


def _local_start(offsets):
    """A call's start in local time (a naive timestamp) by the period's ``offsets``, as SQL."""
    return SQL(f"({CALL}.start_date + %s * interval '1 second')", _offset_seconds(offsets, SQL(f"{CALL}.start_date")))


def _kpi(key, label, value, domain, unit="count"):
    return {"key": key, "label": label, "value": value or 0, "domain": domain, "unit": unit}


def _round(value):
    return round(float(value)) if value is not None else 0
