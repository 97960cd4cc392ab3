"""Dashboard benchmark: the simplified call report on 1,000,000 journal rows over 12 months.

Run through ``bench/run`` (it prepares a database); prints figures, asserts nothing. A manager's dashboard
load (every figure of the dashboard, aggregated in SQL under the record rules) is timed for a month and for
the whole year, next to Odoo's own way on the same data in the same run: the report panel's pivot view, that
is ``read_group`` with the pivot's row and column groupings and measures.
"""

import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

from odoo import Command, api

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.common import open_registry  # noqa: E402

USERS = 20
ROUNDS = 5


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
    manager = env.ref("base.user_admin")
    manager.write({"telephony_enabled": True, "tz": "Europe/Paris"})
    env.flush_all()
    env.cr.execute("SELECT setseed(0.42)")
    env.cr.execute(
        """
        INSERT INTO telephony_call (pbx_id, pbx_unique_id, company_id, user_id, direction, state, caller_number,
                                    called_number, caller_number_e164, called_number_e164, contact_number_e164,
                                    conference_id, start_date, answer_date, end_date, ring_seconds, talk_seconds,
                                    followup_scheduled, callback_pending, create_date, write_date, create_uid,
                                    write_uid)
        SELECT %(pbx)s, 'bench-' || n, %(company)s, (%(users)s::int[])[1 + n %% %(user_count)s],
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
            "user_count": USERS,
            "room": room.id,
            "rows": rows,
        },
    )
    env["telephony.call"]._recompute_callback_pending_all()
    env.cr.execute("ANALYZE telephony_call")
    return manager


def timed(function, rounds=ROUNDS):
    function()
    timings = []
    for _round in range(rounds):
        started = time.perf_counter()
        function()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings) * 1000


def main():
    def arguments(parser):
        parser.add_argument("--rows", type=int, default=1_000_000)

    registry, options = open_registry(__doc__.splitlines()[0], arguments)
    with registry.cursor() as cr:
        env = api.Environment(cr, api.SUPERUSER_ID, {})
        started = time.perf_counter()
        manager = fill_journal(env, options.rows)
        print(
            f"call dashboard: {options.rows:,} calls over 12 months inserted in {time.perf_counter() - started:.1f} s"
        )
        cr.commit()  # pylint: disable=invalid-commit  # a throwaway database the benchmark fills once
        manager_env = env(user=manager.id, su=False)
        dashboard = manager_env["telephony.dashboard"]
        calls = manager_env["telephony.call"]
        today = date.today()
        year = {"period": "custom", "date_from": str(today - timedelta(days=364)), "date_to": str(today)}
        for label, kwargs in (("this month", {"period": "month"}), ("the last 12 months", year)):
            data = dashboard.get_dashboard_data(**kwargs)
            domain = data["domain"]
            ours = timed(lambda kwargs=kwargs: dashboard.get_dashboard_data(**kwargs))
            manager_env.cr.execute("RESET jit")  # Odoo's views run with the server's settings
            pivot = timed(
                lambda domain=domain: calls.read_group(
                    domain,
                    ["__count", "talk_seconds:sum", "ring_seconds:avg"],
                    ["user_id", "direction", "state"],
                    lazy=False,
                )
            )
            graph = timed(
                lambda domain=domain: calls.read_group(domain, ["__count"], ["start_date:day", "direction"], lazy=False)
            )
            total = next(kpi["value"] for kpi in data["kpis"] if kpi["key"] == "total")
            print(f"  {label} ({total:,} calls), median of {ROUNDS} loads:")
            print(f"    dashboard, every figure (ours):                      {ours:8.1f} ms")
            print(f"    Odoo's pivot view (read_group user x direction x state): {pivot:5.1f} ms")
            print(f"    Odoo's graph view (read_group day x direction):          {graph:5.1f} ms")
        cr.rollback()


if __name__ == "__main__":
    main()
