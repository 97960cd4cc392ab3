from datetime import datetime, time, timedelta

import pytz
from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

PERIODS = ("today", "week", "month", "quarter", "custom")
MAX_CUSTOM_DAYS = 366
CALL = '"telephony_call"'


def callback_pending_sql(alias=CALL):
    """SQL condition: a missed inbound call from a known number with no later answered call with that
    number, nor any later call placed to it (a call back attempt counts), in the same company."""
    return SQL(
        f"""{alias}.state = 'missed' AND {alias}.direction = 'inbound' AND {alias}.contact_number_e164 IS NOT NULL
        AND NOT EXISTS (
            SELECT 1 FROM telephony_call later
             WHERE later.contact_number_e164 = {alias}.contact_number_e164
               AND later.company_id = {alias}.company_id
               AND later.start_date > {alias}.start_date
               AND (later.state = 'answered' OR later.direction = 'outbound'))"""
    )


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
        query = self.env["telephony.call"]._search(domain)
        return {
            "period": {
                "key": period,
                "date_from": fields.Date.to_string(first_day),
                "date_to": fields.Date.to_string(last_day),
            },
            "domain": domain,
            "kpis": self._kpis(query, domain),
            "days": self._days(query, domain, first_day, last_day, tz),
            "employees": self._employees(query, domain),
            "heatmap": self._heatmap(query, tz),
            "conferences": self._conferences(query, domain),
            "followups_open": self._open_followups(user_ids),
            "filters": self._filter_options(),
        }

    @api.model
    def get_heatmap_domain(self, domain, weekday, hour):
        """The domain of the calls of one heatmap cell (ISO weekday, hour, in the user's time zone)."""
        self._check_dashboard_access()
        query = self.env["telephony.call"]._search(domain)
        local = SQL(f"({CALL}.start_date AT TIME ZONE 'UTC' AT TIME ZONE %s)", self._tz().zone)
        query.add_where(
            SQL("EXTRACT(ISODOW FROM %s) = %s AND EXTRACT(HOUR FROM %s) = %s", local, int(weekday), local, int(hour))
        )
        return [("id", "in", [row[0] for row in self.env.execute_query(query.select())])]

    def _check_dashboard_access(self):
        user = self.env.user
        if not user.has_group("telephony.group_telephony_user") or not user.telephony_enabled:
            raise AccessError(
                self.env._(
                    "Statistics are for users who make and receive calls from Odoo (My Preferences › Telephony)."
                )
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
            monday = today - timedelta(days=today.weekday())
            return monday, monday + timedelta(days=6)
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

    def _utc_bounds(self, first_day, last_day, tz):
        """The UTC datetimes (as strings, for domains sent to the browser) of the local midnights that start
        ``first_day`` and end ``last_day``."""
        return self._local_midnight_utc(first_day, tz), self._local_midnight_utc(last_day + timedelta(days=1), tz)

    @staticmethod
    def _local_midnight_utc(day, tz):
        midnight = tz.localize(datetime.combine(day, time.min)).astimezone(pytz.utc).replace(tzinfo=None)
        return fields.Datetime.to_string(midnight)

    def _kpis(self, query, domain):
        missed_open = callback_pending_sql()
        row = self.env.execute_query(
            query.select(
                SQL(
                    f"""COUNT(*),
                    COUNT(*) FILTER (WHERE {CALL}.direction = 'inbound'),
                    COUNT(*) FILTER (WHERE {CALL}.direction = 'outbound'),
                    COUNT(*) FILTER (WHERE {CALL}.state = 'answered'),
                    COUNT(*) FILTER (WHERE {CALL}.state = 'missed'),
                    COUNT(*) FILTER (WHERE %s),
                    AVG({CALL}.ring_seconds) FILTER (WHERE {CALL}.ring_seconds > 0),
                    MAX({CALL}.ring_seconds),
                    AVG({CALL}.talk_seconds) FILTER (WHERE {CALL}.state = 'answered'),
                    COUNT(*) FILTER (WHERE {CALL}.direction = 'inbound' AND {CALL}.partner_id IS NOT NULL),
                    COUNT(*) FILTER (WHERE {CALL}.direction = 'inbound' AND {CALL}.partner_id IS NULL
                                       AND {CALL}.contact_number_e164 IS NOT NULL)""",
                    missed_open,
                )
            )
        )[0]
        total, inbound, outbound, answered, missed, pending, ring_avg, ring_max, talk_avg, known, unknown = row
        _ = self.env._
        return [
            _kpi("total", _("Calls"), total, domain),
            _kpi("inbound", _("Inbound"), inbound, [*domain, ("direction", "=", "inbound")]),
            _kpi("outbound", _("Outbound"), outbound, [*domain, ("direction", "=", "outbound")]),
            _kpi("answered", _("Answered"), answered, [*domain, ("state", "=", "answered")]),
            _kpi("missed", _("Missed"), missed, [*domain, ("state", "=", "missed")]),
            _kpi("missed_open", _("Missed, not called back"), pending, [*domain, ("callback_pending", "=", True)]),
            _kpi("ring_avg", _("Average ring time"), _round(ring_avg), [*domain, ("ring_seconds", ">", 0)], "duration"),
            _kpi(
                "ring_max",
                _("Longest ring time"),
                ring_max or 0,
                [*domain, ("ring_seconds", "=", ring_max or 0)],
                "duration",
            ),
            _kpi(
                "talk_avg", _("Average talk time"), _round(talk_avg), [*domain, ("state", "=", "answered")], "duration"
            ),
            _kpi(
                "known",
                _("Known callers"),
                known,
                [*domain, ("direction", "=", "inbound"), ("partner_id", "!=", False)],
            ),
            _kpi(
                "unknown",
                _("Unknown callers"),
                unknown,
                [
                    *domain,
                    ("direction", "=", "inbound"),
                    ("partner_id", "=", False),
                    ("contact_number_e164", "!=", False),
                ],
            ),
        ]

    def _days(self, query, domain, first_day, last_day, tz):
        """Calls per local day: inbound answered / missed, outbound answered / not answered."""
        local_day = SQL(f"(({CALL}.start_date AT TIME ZONE 'UTC' AT TIME ZONE %s)::date)", tz.zone)
        query.groupby = SQL("1, 2, 3")
        rows = self.env.execute_query(
            query.select(local_day, SQL(f"{CALL}.direction"), SQL(f"{CALL}.state = 'answered'"), SQL("COUNT(*)"))
        )
        query.groupby = None
        counts = {(day, direction, answered): count for day, direction, answered, count in rows}
        days = [first_day + timedelta(days=offset) for offset in range((last_day - first_day).days + 1)]
        _ = self.env._
        series = []
        for key, label, direction, answered in (
            ("inbound_answered", _("Inbound answered"), "inbound", True),
            ("inbound_missed", _("Inbound not answered"), "inbound", False),
            ("outbound_answered", _("Outbound answered"), "outbound", True),
            ("outbound_unanswered", _("Outbound not answered"), "outbound", False),
        ):
            state = [("state", "=", "answered")] if answered else [("state", "!=", "answered")]
            series.append(
                {
                    "key": key,
                    "label": label,
                    "values": [counts.get((day, direction, answered), 0) for day in days],
                    "domains": [
                        [*domain, *self._day_domain(day, tz), ("direction", "=", direction), *state] for day in days
                    ],
                }
            )
        return {"labels": [fields.Date.to_string(day) for day in days], "series": series}

    def _day_domain(self, day, tz):
        start, end = self._utc_bounds(day, day, tz)
        return [("start_date", ">=", start), ("start_date", "<", end)]

    def _employees(self, query, domain):
        query.groupby = SQL("1")
        rows = self.env.execute_query(
            query.select(
                SQL(f"{CALL}.user_id"),
                SQL("COUNT(*)"),
                SQL(f"COUNT(*) FILTER (WHERE {CALL}.state = 'answered')"),
                SQL(f"COUNT(*) FILTER (WHERE {CALL}.state = 'missed')"),
                SQL(f"COALESCE(SUM({CALL}.talk_seconds), 0)"),
            )
        )
        query.groupby = None
        rows.sort(key=lambda row: (-row[1], row[0] or 0))
        users = self.env["res.users"].sudo().browse([row[0] for row in rows if row[0]])
        names = {user.id: user.name for user in users}
        return [
            {
                "user_id": user_id or False,
                "name": names.get(user_id) or self.env._("Nobody"),
                "total": total,
                "answered": answered,
                "missed": missed,
                "talk_seconds": talk,
                "domain": [*domain, ("user_id", "=", user_id or False)],
            }
            for user_id, total, answered, missed, talk in rows
        ]

    def _heatmap(self, query, tz):
        local = SQL(f"({CALL}.start_date AT TIME ZONE 'UTC' AT TIME ZONE %s)", tz.zone)
        query.groupby = SQL("1, 2")
        rows = self.env.execute_query(
            query.select(
                SQL("EXTRACT(ISODOW FROM %s)::int", local), SQL("EXTRACT(HOUR FROM %s)::int", local), SQL("COUNT(*)")
            )
        )
        query.groupby = None
        grid = {(weekday, hour): count for weekday, hour, count in rows}
        return {
            "max": max(grid.values(), default=0),
            "rows": [
                {
                    "weekday": weekday,
                    "cells": [grid.get((weekday, h), 0) for h in range(24)],
                }
                for weekday in range(1, 8)
            ],
        }

    def _conferences(self, query, domain):
        rooms, participants, talk = self.env.execute_query(
            query.select(
                SQL(f"COUNT(DISTINCT {CALL}.conference_id)"),
                SQL(f"COUNT({CALL}.conference_id)"),
                SQL(f"COALESCE(SUM({CALL}.talk_seconds) FILTER (WHERE {CALL}.conference_id IS NOT NULL), 0)"),
            )
        )[0]
        return {
            "rooms": rooms,
            "participants": participants,
            "minutes": round(talk / 60),
            "domain": [*domain, ("conference_id", "!=", False)],
        }

    def _open_followups(self, user_ids):
        domain = [("activity_type_id", "=", self.env.ref("telephony.mail_activity_type_call_back").id)]
        if user_ids:
            domain.append(("user_id", "in", [int(user_id) for user_id in user_ids]))
        elif not self.env.user.has_group("telephony.group_telephony_manager"):
            domain.append(("user_id", "=", self.env.uid))
        return {"count": self.env["mail.activity"].search_count(domain), "domain": domain}

    def _filter_options(self):
        if not self.env.user.has_group("telephony.group_telephony_manager"):
            return {"users": [], "departments": []}
        users = self.env["res.users"].search(
            [("telephony_extension", "!=", False), ("share", "=", False), ("company_ids", "in", self.env.companies.ids)]
        )
        departments = self.env["hr.department"].search([("company_id", "in", [False, *self.env.companies.ids])])
        return {
            "users": [{"id": user.id, "name": user.name} for user in users],
            "departments": [{"id": dept.id, "name": dept.display_name} for dept in departments],
        }


def _kpi(key, label, value, domain, unit="count"):
    return {"key": key, "label": label, "value": value or 0, "domain": domain, "unit": unit}


def _round(value):
    return round(float(value)) if value is not None else 0
