"""Read the log of an Odoo test run and say whether it passed.

Usage: odoo_log_summary.py LOGFILE MODULE

Prints the findings, then a last line ``RESULT <passed> <failed> <ok>`` for scripts/test, where
ok is 1 only when the run reported its tests, at least one test of MODULE ran, none failed, and
no line was logged at level ERROR or CRITICAL (Odoo logs failing tests at ERROR).
"""

import re
import sys

LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} \d+ (?P<level>[A-Z]+) ")
# odoo/service/server.py: "%s when loading database %r" with odoo/tests/result.py's __str__.
SUMMARY = re.compile(r"(?P<failed>\d+) failed, (?P<errors>\d+) error\(s\) of (?P<run>\d+) tests when loading database")
SKIPPED = re.compile(r" INFO \S+ \S+: skipped ")


def summarize(lines, module):
    error_lines = [
        line.rstrip() for line in lines if (m := LOG_LINE.match(line)) and m["level"] in ("ERROR", "CRITICAL")
    ]
    summaries = [m for line in lines if (m := SUMMARY.search(line))]
    module_stats = re.compile(rf"odoo\.tests\.stats: {re.escape(module)}: (\d+) tests ")
    module_tests = sum(int(m[1]) for line in lines if (m := module_stats.search(line)))
    skipped = sum(1 for line in lines if SKIPPED.search(line))

    problems = []
    if not summaries:
        problems.append("Odoo printed no test summary (did the install fail before the tests ran?)")
        return 0, 0, 0, error_lines, problems
    run = sum(int(m["run"]) for m in summaries)
    failed = sum(int(m["failed"]) + int(m["errors"]) for m in summaries)
    if run == 0 or module_tests == 0:
        problems.append(f"no test of the {module} module ran")
    if failed:
        problems.append(f"{failed} test(s) failed")
    if error_lines:
        problems.append(f"{len(error_lines)} line(s) were logged at level ERROR or CRITICAL")
    return max(run - failed - skipped, 0), failed, skipped, error_lines, problems


def main():
    log_path, module = sys.argv[1], sys.argv[2]
    with open(log_path, encoding="utf-8", errors="replace") as log:
        lines = log.readlines()
    passed, failed, skipped, error_lines, problems = summarize(lines, module)
    if error_lines:
        sys.stdout.write("Lines logged at ERROR or CRITICAL:\n")
        sys.stdout.writelines(f"  {line}\n" for line in error_lines[:50])
    verdict = "; ".join(problems) if problems else "ok"
    sys.stdout.write(f"Odoo tests: {passed} passed, {failed} failed, {skipped} skipped; {verdict}\n")
    sys.stdout.write(f"RESULT {passed} {failed} {0 if problems else 1}\n")


if __name__ == "__main__":
    main()
