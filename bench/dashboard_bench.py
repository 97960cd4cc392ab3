"""Dashboard benchmark: the simplified call report on 1,000,000 journal rows over 12 months.

Run through ``bench/run`` (it prepares a database); prints figures, asserts nothing. A manager's dashboard
load (every figure of the dashboard, summed from the call roll-up under the record rules) is timed for this
month, this quarter and the last 12 months, next to Odoo's own way on the same data in the same run: the report
panel's pivot view (``read_group`` with the pivot's row and column groupings and measures) and its graph view
(calls per day and direction); then a manager's year filtered on one team and on one employee, a plain user's
own year in Asia/Kolkata and a manager's, whose +5:30 offset half-past hour buckets serve, and both, and a team,
on Lord Howe Island, whose +10:30 and +11 in one year only quarter hours serve (there the web client's time zone
in the context, which the graph's days follow too). The roll-up is folded (the cron's job) and vacuumed (autovacuum's)
first. ``--rows`` sets the journal's size.
"""

import sys
import time
from datetime import date, timedelta
from pathlib import Path

import psycopg2

from odoo import Command, api, sql_db

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.common import open_registry, percentiles_ms  # noqa: E402

USERS = 20
TEAMS = 4
ROUNDS = 20


def fill_journal(env, rows):
    """Insert ``rows`` calls spread over the last 365 days in one INSERT ... SELECT; return the manager."""
    company = env.company
    pbx = env["telephony.pbx"].create(
        {"name": "Dashboard bench PBX", "ari_url": "http://127.0.0.1:9", "ari_password": "bench"}
    )
    room = env["telephony.conference"].create({"name": "Bench room", "extension": "8899", "pbx_id": pbx.id})
    user_group = env.ref("telephony.group_telephony_user")
    users = env["res.users"].create(
        [
            {
                "name": f"Bench agent {index}",
                "login": f"bench_agent_{index}",
                "telephony_extension": str(7000 + index),
                "groups_id": [Command.set([user_group.id])],
            }
            for index in range(USERS)
        ]
    )
    # Each agent is an employee of one of the teams, and their calls carry that employee, as the journal does.
    teams = env["hr.department"].create([{"name": f"Bench team {index}"} for index in range(TEAMS)])
    employees = env["hr.employee"].create(
        [
            {"name": user.name, "user_id": user.id, "department_id": teams[index % TEAMS].id}
            for index, user in enumerate(users)
        ]
    )
    manager = env.ref("base.user_admin")
    manager.write({"telephony_enabled": True, "tz": "Europe/Paris"})
    env.flush_all()
    env.cr.execute("SELECT setseed(0.42)")
    env.cr.execute(
        """
        INSERT INTO telephony_call (pbx_id, pbx_unique_id, company_id, user_id, employee_id, direction, state,
                                    caller_number, called_number, caller_number_e164, called_number_e164,
                                    contact_number_e164, conference_id, start_date, answer_date, end_date,
                                    ring_seconds, talk_seconds, followup_scheduled, callback_pending, create_date,
                                    write_date, create_uid, write_uid)
        SELECT %(pbx)s, 'bench-' || n, %(company)s, (%(users)s::int[])[1 + n %% %(user_count)s],
               (%(employees)s::int[])[1 + n %% %(user_count)s],
               kind.direction, kind.state, kind.number, kind.extension, kind.number, NULL, kind.number,
               CASE WHEN n %% 17 = 0 THEN %(room)s END,
               kind.start_date, CASE WHEN kind.state = 'answered' THEN kind.start_date + kind.ring END,
               kind.start_date + kind.ring + kind.talk, EXTRACT(EPOCH FROM kind.ring)::int,
               EXTRACT(EPOCH FROM kind.talk)::int, false, false, now(), now(), 1, 1
          FROM generate_series(1, %(rows)s) AS n,
       LATERAL (SELECT CASE WHEN n %% 10 < 6 THEN 'inbound' ELSE 'outbound' END AS direction,
                       CASE WHEN n %% 10 IN (0, 3) THEN 'missed' WHEN n %% 29 = 0 THEN 'busy' ELSE 'answered' END
                           AS state,
                       '+3361' || lpad((n %% 50000)::text, 7, '0') AS number,
                       (7000 + n %% %(user_count)s)::text AS extension,
                       now() AT TIME ZONE 'UTC' - random() * interval '365 days' AS start_date,
                       make_interval(secs => 2 + (n %% 28)) AS ring,
                       CASE WHEN n %% 10 IN (0, 3) THEN interval '0' ELSE make_interval(secs => 20 + (n %% 900)) END
                           AS talk) AS kind
        """,
        {
            "pbx": pbx.id,
            "company": company.id,
            "users": users.ids,
            "employees": employees.ids,
            "user_count": USERS,
            "room": room.id,
            "rows": rows,
        },
    )
    env["telephony.call"]._recompute_callback_pending_all()
    env.cr.execute("ANALYZE telephony_call")
    users.write({"telephony_enabled": True, "tz": "Asia/Kolkata"})
    return manager, users[0], teams[0]


def timed(function, rounds=ROUNDS):
    """p50 and p95 in milliseconds of ``rounds`` calls of ``function``, after one to warm the caches."""
    function()
    timings = []
    for _round in range(rounds):
        started = time.perf_counter()
        function()
        timings.append(time.perf_counter() - started)
    ordered = sorted(timings)
    return percentiles_ms(timings)[0], ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))] * 1000


def main():
    def arguments(parser):
        parser.add_argument("--rows", type=int, default=1_000_000, help="calls in the journal (default 1,000,000)")

    registry, options = open_registry(__doc__.splitlines()[0], arguments)
    with registry.cursor() as cr:
        env = api.Environment(cr, api.SUPERUSER_ID, {})
        started = time.perf_counter()
        manager, agent, team = fill_journal(env, options.rows)
        cr.execute("SELECT count(*) FROM telephony_call_rollup")
        print(
            f"call dashboard: {options.rows:,} calls over 12 months inserted, roll-up included "
            f"({cr.fetchone()[0]:,} rows), in {time.perf_counter() - started:.1f} s"
        )
        cr.commit()  # pylint: disable=invalid-commit  # a throwaway database the benchmark fills once
        started = time.perf_counter()
        env["telephony.call"]._rollup_compact()
        cr.commit()  # pylint: disable=invalid-commit
        vacuum_rollup(cr.dbname)
        cr.execute("SELECT count(*) FROM telephony_call_rollup")
        print(f"  folded by the cron's job into {cr.fetchone()[0]:,} rows in {time.perf_counter() - started:.1f} s")
        today = date.today()
        year = {"period": "custom", "date_from": str(today - timedelta(days=364)), "date_to": str(today)}
        print(f"  p50 / p95 of {ROUNDS} loads, ms (a manager, Europe/Paris):")
        print("    period              calls   dashboard (ours)    Odoo pivot     Odoo graph")
        manager_env = env(user=manager.id, su=False)
        for label, kwargs in (
            ("this month", {"period": "month"}),
            ("this quarter", {"period": "quarter"}),
            ("last 12 months", year),
        ):
            print(f"    {label:<16}" + compare(manager_env, kwargs))
        print(
            f"  a manager filtering one team ({USERS // TEAMS} agents), last 12 months:"
            + compare(manager_env, {**year, "department_ids": team.ids})
        )
        print(
            "  a manager filtering one employee, last 12 months:"
            + compare(manager_env, {**year, "user_ids": agent.ids})
        )
        agent_env = env(user=agent.id, su=False)
        print(f"  a plain user's own calls (Asia/Kolkata), last 12 months:{compare(agent_env, year)}")
        kolkata = manager_env(context={**manager_env.context, "tz": "Asia/Kolkata"})
        print(f"  a manager in Asia/Kolkata (half-past hours), last 12 months:{compare(kolkata, year)}")
        lord_howe = {"tz": "Australia/Lord_Howe"}
        print(
            "  a plain user's own calls on Lord Howe (quarter hours), last 12 months:"
            + compare(agent_env(context=lord_howe), year)
        )
        print(
            "  a manager on Lord Howe (quarter hours), last 12 months:" + compare(manager_env(context=lord_howe), year)
        )
        print(
            "  a manager on Lord Howe filtering one team (quarter hours), last 12 months:"
            + compare(manager_env(context=lord_howe), {**year, "department_ids": team.ids})
        )
        cr.rollback()


def vacuum_rollup(dbname):
    """What autovacuum does after the fold's deletions: the visibility map that lets the dashboard read the
    roll-up's covering indexes alone (VACUUM runs outside a transaction, hence its own connection)."""
    connection = psycopg2.connect(**sql_db.connection_info_for(dbname)[1])
    try:
        connection.autocommit = True
        with connection.cursor() as cr:
            cr.execute("VACUUM ANALYZE telephony_call_rollup")
    finally:
        connection.close()


def compare(env, kwargs):
    """One line: the period's calls, then p50 / p95 of the dashboard, Odoo's pivot and graph."""
    dashboard = env["telephony.dashboard"]
    calls = env["telephony.call"]
    data = dashboard.get_dashboard_data(**kwargs)
    domain = data["domain"]
    ours = timed(lambda: dashboard.get_dashboard_data(**kwargs))
    pivot = timed(
        lambda: calls.read_group(
            domain, ["__count", "talk_seconds:sum", "ring_seconds:avg"], ["user_id", "direction", "state"], lazy=False
        )
    )
    graph = timed(lambda: calls.read_group(domain, ["__count"], ["start_date:day", "direction"], lazy=False))
    total = next(kpi["value"] for kpi in data["kpis"] if kpi["key"] == "total")
    return f"{total:>9,} " + "".join(f"{p50:8.1f} / {p95:6.1f}" for p50, p95 in (ours, pivot, graph))


if __name__ == "__main__":
    main()
