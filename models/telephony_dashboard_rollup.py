"""The dashboard's figures summed from the call roll-up (see telephony_call_rollup.py) instead of the journal.

Same figures as the scan, row for row: the scan (``_scan``) stays the reference and the fallback.

**Record rules.** The roll-up is filtered the way the addon's call rules filter calls: every company of the
rules' ``company_ids`` (the companies the user works in now), then, for a telephony manager, every call; for a
plain user, the calls they are the user of (``viewer = 0`` rows of their ``user_id``) and those they answered,
were transferred or transferred (their own ``viewer`` rows, each call once). Any other rule on calls (one an
administrator added or edited), and the superuser who bypasses rules, fall back to the scan: the roll-up cannot
know what such a rule lets through.

**Periods.** A period runs from a local midnight to another, both quarter hours in UTC. The KPIs, employees and
rooms read the UTC days fully inside it (grain ``d``) and the 15-minute buckets of its two ends (grain ``q``).
The days and the heatmap read the coarsest buckets that fall in the viewer's local hours all through the period:
hours from the minute past each UTC hour at which the local hours start (``h``, ``i`` or ``j`` for a manager who
filters nobody, ``u``, ``v`` or ``w`` for users and teams), or quarter hours (``c``, ``q``). Each bucket is placed in
local time by the UTC offsets of the period, pytz's (those its bounds and days are computed with, DST included),
in integer arithmetic, then summed per local hour, day and heatmap cell.
"""

from datetime import datetime, time, timedelta

from odoo import fields, models
from odoo.tools import SQL

from .telephony_call_rollup import HOUR_GRAINS, ROLLUP_TABLE
from .telephony_dashboard import _offset_seconds, _offsets

# The call rules the roll-up reproduces, with the domains the addon ships (security/telephony_security.xml).
CALL_RULES = {
    "telephony.telephony_call_rule_company": "[('company_id', 'in', company_ids)]",
    "telephony.telephony_call_rule_user": (
        "['|', '|', '|', ('user_id', '=', user.id), ('answered_user_id', '=', user.id), "
        "('transfer_user_id', '=', user.id), ('transferred_by_id', '=', user.id)]"
    ),
    "telephony.telephony_call_rule_manager": "[(1, '=', 1)]",
}
COMPANY_RULE = "telephony.telephony_call_rule_company"
USER_RULE = "telephony.telephony_call_rule_user"
MANAGER_RULE = "telephony.telephony_call_rule_manager"
EVERY_CALL = 0


class TelephonyDashboard(models.AbstractModel):
    _inherit = "telephony.dashboard"

    def _figures(self, domain, tz, start, end, user_ids, department_ids):
        viewer = self._rollup_viewer()
        if viewer is None:
            return super()._figures(domain, tz, start, end, user_ids, department_ids)
        start, end = fields.Datetime.to_datetime(start), fields.Datetime.to_datetime(end)
        owned, seen = self._rollup_scopes(viewer, user_ids, department_ids)
        sets = self._rollup_totals(owned, seen, start, end)
        totals = sets["total"][0]
        if totals["ring_gone"] and totals["ring_gone"] >= (totals["ring_max"] or 0):
            totals["ring_max"] = self._longest_ring(domain)
        offsets = _offsets(tz, start, end)
        company_grain, user_grain = HOUR_GRAINS.get(_local_hours_start(offsets), ("c", "q"))
        if viewer or user_ids or department_ids:
            grain = user_grain
        else:
            grain = company_grain
        parts = [SQL("grain = %s AND %s", grain, owned)]
        if seen:
            parts.append(SQL("grain = 'q' AND %s", seen))
        sets.update(self._rollup_times(parts, start, end, offsets, quarters=grain in ("c", "q")))
        return sets

    def _rollup_viewer(self):
        """0 when the user sees every call of their companies, their id when they see their own calls, None
        when the rules on calls are not exactly the addon's (the roll-up then cannot answer)."""
        if self.env.su:
            return None
        # Ids from the cached xml ids: env.ref would check each rule's existence with a query, on every load.
        rule_ids = {xml_id: self.env["ir.model.data"]._xmlid_to_res_id(xml_id) for xml_id in CALL_RULES}
        rules = self.env["ir.rule"]._get_rules("telephony.call").sudo()
        shipped = {rule_ids[xml_id]: domain for xml_id, domain in CALL_RULES.items()}
        known = {rule.id for rule in rules if shipped.get(rule.id) == rule.domain_force}
        global_rules = rules.filtered("global")
        if global_rules.ids != [rule_ids[COMPANY_RULE]] or rule_ids[COMPANY_RULE] not in known:
            return None
        # Group rules add up: the manager's rule lets every call through, whatever the other groups' rules say.
        group_rules = rules - global_rules
        if rule_ids[MANAGER_RULE] in known:
            return EVERY_CALL
        if group_rules.ids == [rule_ids[USER_RULE]] and rule_ids[USER_RULE] in known:
            return self.env.uid
        return None

    def _rollup_scopes(self, viewer, user_ids, department_ids):
        """The roll-up rows (any grain, any time) of the calls the user may read, of those users and teams, in
        two parts: ``viewer = 0`` rows (every call, or the user's own) and, for a plain user, their ``viewer``
        rows (calls they answered or were transferred, ``q`` grain only), else None."""
        common = [SQL("company_id IN %s", tuple(self.env.companies.ids))]
        if user_ids:
            common.append(SQL("user_id IN %s", tuple(int(user_id) for user_id in user_ids)))
        if department_ids:
            # As the journal's domain reads employee_id.department_id: archived employees too, under their rules.
            employees = (
                self.env["hr.employee"]
                .with_context(active_test=False)
                ._search([("department_id", "in", [int(dept) for dept in department_ids])])
            )
            # "!= 0" lets the teams' indexes (of employees' rows only) serve.
            common.append(SQL("employee_id != 0 AND employee_id IN %s", employees.subselect()))
        owned = [SQL("viewer = 0"), *([SQL("user_id = %s", viewer)] if viewer else []), *common]
        seen = SQL(" AND ").join([SQL("viewer = %s", viewer), *common]) if viewer else None
        return SQL(" AND ").join(owned), seen

    def _rollup_totals(self, owned, seen, start, end):
        """The "total", "user" and "room" sets: whole UTC days inside the period, 15-minute buckets at its ends
        (and all through it for the calls a plain user sees without being their user)."""
        first_day = datetime.combine(start.date(), time.min)
        first_day += timedelta(days=1) if first_day < start else timedelta()
        last_day = datetime.combine(end.date(), time.min)
        if first_day >= last_day:
            parts = [SQL("grain = 'q' AND bucket >= %s AND bucket < %s AND %s", start, end, owned)]
        else:
            parts = [
                SQL("grain = 'd' AND bucket >= %s AND bucket < %s AND %s", first_day, last_day, owned),
                SQL("grain = 'q' AND bucket >= %s AND bucket < %s AND %s", start, first_day, owned),
                SQL("grain = 'q' AND bucket >= %s AND bucket < %s AND %s", last_day, end, owned),
            ]
        if seen:
            parts.append(SQL("grain = 'q' AND bucket >= %s AND bucket < %s AND %s", start, end, seen))
        rows = SQL(" UNION ALL ").join(SQL(f"SELECT * FROM {ROLLUP_TABLE} WHERE %s", part) for part in parts)
        result = self.env.execute_query_dict(
            SQL(
                """SELECT GROUPING(user_id) = 0 AS by_user, GROUPING(conference_id) = 0 AS by_room,
                          NULLIF(user_id, 0) AS user_id, NULLIF(conference_id, 0) AS conference_id,
                          COALESCE(SUM(n), 0)::bigint AS total,
                          COALESCE(SUM(n) FILTER (WHERE direction = 'inbound'), 0)::bigint AS inbound,
                          COALESCE(SUM(n) FILTER (WHERE direction = 'outbound'), 0)::bigint AS outbound,
                          COALESCE(SUM(answered_n), 0)::bigint AS answered_count,
                          COALESCE(SUM(missed_n), 0)::bigint AS missed_count,
                          COALESCE(SUM(pending_n), 0)::bigint AS pending,
                          SUM(ring_sum) / NULLIF(SUM(ring_n), 0) AS ring_avg,
                          MAX(ring_max) AS ring_max, MAX(ring_gone) AS ring_gone,
                          SUM(talk_answered_sum) / NULLIF(SUM(talk_answered_n), 0) AS talk_avg,
                          COALESCE(SUM(talk_sum), 0)::bigint AS talk_sum,
                          COALESCE(SUM(known_n), 0)::bigint AS known,
                          COALESCE(SUM(unknown_n), 0)::bigint AS unknown
                     FROM (%s) AS rollup
                 GROUP BY GROUPING SETS ((), (user_id), (conference_id))""",
                rows,
            )
        )
        sets = {"total": [], "user": [], "room": []}
        for row in result:
            if row["by_user"] and row["total"]:
                sets["user"].append(row)
            elif row["by_room"] and row["total"]:
                sets["room"].append(row)
            elif not row["by_user"] and not row["by_room"]:
                sets["total"].append(row)
        return sets

    def _longest_ring(self, domain):
        """The longest ring of the calls of ``domain``, read from the journal: the roll-up's may have left it
        (a longer ring removed since the last fold, see telephony_call_rollup.py)."""
        query = self.env["telephony.call"]._search(domain)
        return self.env.execute_query(query.select(SQL('MAX("telephony_call".ring_seconds)')))[0][0]

    def _rollup_times(self, parts, start, end, offsets, quarters):
        """The "day" (local day, direction, answered) and "heat" (ISO weekday, local hour) sets of the rows of
        ``parts`` (conditions read apart, so that each reads its index alone), placed in local time by the
        period's ``offsets`` (see ``_offsets``); ``quarters`` when they are quarter hours (else hours)."""
        # A year of quarter hours (Kolkata's) does not fit the default 4 MB to group: it would sort on disk.
        # Set for the rest of this request's transaction, which only reads.
        self.env.cr.execute("SET LOCAL work_mem = '64MB'")
        rows = SQL(" UNION ALL ").join(
            SQL(
                f"SELECT bucket, direction, n, answered_n FROM {ROLLUP_TABLE} "
                "WHERE %s AND bucket >= %s AND bucket < %s",
                part,
                start,
                end,
            )
            for part in parts
        )
        # Each row's local hour in whole hours since 1970 by integer arithmetic, and its counts as integers:
        # converting each row with AT TIME ZONE, extracting its fields as numerics and summing bigints as numerics
        # took two thirds of a plain user's year. Quarter hours are summed per local hour first (a fourth of the
        # rows to place in days and cells); hour buckets are one row per local hour already.
        local_hour = SQL("(date_part('epoch', bucket)::bigint + %s) / 3600", _offset_seconds(offsets, SQL("bucket")))
        if quarters:
            hours = SQL(
                """SELECT %s AS local_hour, direction, SUM(n::int)::int AS n, SUM(answered_n::int)::int AS answered_n
                     FROM (%s) AS rollup
                 GROUP BY 1, 2""",
                local_hour,
                rows,
            )
        else:
            hours = SQL(
                "SELECT %s AS local_hour, direction, n::int AS n, answered_n::int AS answered_n FROM (%s) AS rollup",
                local_hour,
                rows,
            )
        result = self.env.execute_query_dict(
            SQL(
                """SELECT GROUPING(local_hour / 24, direction) = 0 AS by_day,
                          DATE '1970-01-01' + (local_hour / 24)::int AS day, direction,
                          (mod(local_hour / 24 + 3, 7) + 1)::int AS weekday, mod(local_hour, 24)::int AS hour,
                          SUM(n)::bigint AS total, SUM(answered_n)::bigint AS answered
                     FROM (%s) AS hours
                 GROUP BY GROUPING SETS ((local_hour / 24, direction),
                                         ((mod(local_hour / 24 + 3, 7) + 1)::int, mod(local_hour, 24)::int))""",
                hours,
            )
        )
        sets = {"day": [], "heat": []}
        for row in result:
            if row["by_day"]:
                sets["day"].append({**row, "answered": True, "total": row["answered"]})
                sets["day"].append({**row, "answered": False, "total": row["total"] - row["answered"]})
            else:
                sets["heat"].append(row)
        return sets


def _local_hours_start(offsets):
    """The minutes past each UTC hour at which every local hour starts over the period of ``offsets``: 0 where
    every offset is whole hours and changes on a UTC hour (Paris, New York), 30 where they are whole hours and a
    half and change at half past (Kolkata, Adelaide), 15 for three quarters (Kathmandu's +5:45: its midnight is
    18:15 UTC); None where the local hours start at different minutes (Lord Howe's +10:30 and +11 in one period)
    or an offset changes at another minute (Chatham's +12:45 and +13:45 on the UTC hour): an hour bucket would
    straddle two local hours."""
    starts = {-offset % timedelta(hours=1) for _instant, offset in offsets}
    changes = {timedelta(minutes=instant.minute, seconds=instant.second) for instant, _offset in offsets[1:]}
    if len(starts) != 1 or not changes <= starts:
        return None
    (start,) = starts
    return start.seconds // 60
