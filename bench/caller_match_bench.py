"""Caller matching benchmark: 1,000,000 contacts with numbers typed as people type them, E.164 calls.

Run through ``bench/run`` (it prepares a database with the addon and ``sms``); prints figures, asserts nothing.
Each incoming number, in E.164 as a PBX sends it, is looked up two ways on the same database in the same run:

- ours: ``res.partner._telephony_match`` (the number normalised, one lookup on the indexed E.164 columns);
- Odoo's: ``search([('phone_mobile_search', '=', number)])``, which ``sms`` gives res.partner, on its index of the
  digits-only form of what was typed.

For each: the share of numbers matched to the right contact, wrong matches for numbers nobody has, p50 and p99.
"""

import io
import random
import sys
import time
from collections import Counter
from pathlib import Path

from odoo import api

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.common import open_registry, percentiles_ms  # noqa: E402

SEED = 20261122
MOBILE_SHARE = 0.3
UNPARSABLE = ["n/a", "ask the reception", "12", "-", "see email", "+"]


def _pairs(digits):
    return " ".join(digits[i : i + 2] for i in range(1, len(digits), 2))


# How people type a French number whose national significant number is ``n`` (9 digits): name -> typed form.
FRENCH_FORMATS = {
    "+33 6 12 34 56 78": lambda n: f"+33 {n[0]} {_pairs(n)}",
    "+33612345678": lambda n: f"+33{n}",
    "06 12 34 56 78": lambda n: f"0{n[0]} {_pairs(n)}",
    "06.12.34.56.78": lambda n: f"0{n[0]}.{_pairs(n).replace(' ', '.')}",
    "06-12-34-56-78": lambda n: f"0{n[0]}-{_pairs(n).replace(' ', '-')}",
    "0612345678": lambda n: f"0{n}",
    "0033 6 12 34 56 78": lambda n: f"0033 {n[0]} {_pairs(n)}",
    "33612345678": lambda n: f"33{n}",
    "+33 (0)6 12 34 56 78": lambda n: f"+33 (0){n[0]} {_pairs(n)}",
    "+33 1 23 45 67 89 ext. 12": lambda n: f"+33 {n[0]} {_pairs(n)} ext. 12",
}
# Contacts abroad, typed in their own national format: country code, E.164 prefix, national form.
FOREIGN_FORMATS = {
    "BE 0470 12 34 56": ("BE", "+32", lambda n: f"0{n[:3]} {n[3:5]} {n[5:7]} {n[7:]}"),
    "US (415) 555-0123": ("US", "+1", lambda n: f"({n[:3]}) {n[3:6]}-{n[6:]}"),
}


def national_number(index):
    """A distinct possible French national significant number for each index (9 digits)."""
    return f"{'1234567'[index % 7]}{index:08d}"


def foreign_number(index, country):
    return f"4{index:08d}" if country == "BE" else f"415{index:07d}"


def generate_rows(count, rng, country_ids):
    """Yield (name, phone, mobile, country_id, expected phone e164, expected mobile e164, format) per contact."""
    formats = list(FRENCH_FORMATS) + list(FOREIGN_FORMATS)
    weights = [8] * len(FRENCH_FORMATS) + [3] * len(FOREIGN_FORMATS)
    for index in range(count):
        if rng.random() < 0.02:
            yield (f"Contact {index}", rng.choice(UNPARSABLE), None, None, None, None, "unparsable")
            continue
        kind = rng.choices(formats, weights)[0]
        phone, e164, country_id = _typed(kind, 2 * index, country_ids)
        mobile = mobile_e164 = None
        # Contacts abroad keep to their own country's number: a French mobile typed in French national form
        # on a Belgian contact would be read as Belgian, by people and by phonenumbers alike.
        if country_id is None and rng.random() < MOBILE_SHARE:
            mobile, mobile_e164, _country = _typed(rng.choices(list(FRENCH_FORMATS))[0], 2 * index + 1, country_ids)
        yield (f"Contact {index}", phone, mobile, country_id, e164, mobile_e164, kind)


def _typed(kind, index, country_ids):
    if kind in FRENCH_FORMATS:
        number = national_number(index)
        return FRENCH_FORMATS[kind](number), f"+33{number}", None
    country, prefix, form = FOREIGN_FORMATS[kind]
    number = foreign_number(index, country)
    return form(number), f"{prefix}{number}", country_ids[country]


def insert_partners(env, count, rng):
    """COPY ``count`` contacts in; return the sample of (e164, partner id, format) to look up later."""
    country_ids = {code: env.ref(f"base.{code.lower()}").id for code in ("BE", "US")}
    cr = env.cr
    cr.execute("SELECT COALESCE(MAX(id), 0) FROM res_partner")
    first_id = cr.fetchone()[0] + 1
    buffer = io.StringIO()
    truth = []
    for offset, (name, phone, mobile, country_id, e164, mobile_e164, kind) in enumerate(
        generate_rows(count, rng, country_ids)
    ):
        partner_id = first_id + offset
        columns = (partner_id, name, name, phone, mobile, country_id, True, "contact", False)
        buffer.write("\t".join(r"\N" if value is None else str(value) for value in columns) + "\n")
        truth.append((partner_id, e164, mobile_e164, kind))
    buffer.seek(0)
    cr.copy_expert(
        "COPY res_partner (id, name, complete_name, phone, mobile, country_id, active, type, is_company) FROM STDIN",
        buffer,
    )
    cr.execute("SELECT setval('res_partner_id_seq', (SELECT MAX(id) FROM res_partner))")
    return truth


def lookup_stream(truth, rng, count):
    """Incoming numbers in E.164: mostly numbers of contacts (phones and mobiles), a tenth nobody's."""
    stream = []
    known = [row for row in truth if row[1]]
    for _index in range(count):
        if rng.random() < 0.1:
            stream.append((f"+3398{rng.randrange(10**7):07d}", None, "nobody's number"))
            continue
        partner_id, e164, mobile_e164, kind = rng.choice(known)
        if mobile_e164 and rng.random() < 0.3:
            stream.append((mobile_e164, partner_id, "mobile, any format"))
        else:
            stream.append((e164, partner_id, kind))
    return stream


def time_lookups(env, stream, find):
    """Run ``find`` on every number with an empty ORM cache; return the timings and the ids found."""
    for number, _expected, _kind in stream[:50]:
        find(number)
    timings, found = [], []
    for number, _expected, _kind in stream:
        env.invalidate_all()
        started = time.perf_counter()
        partner = find(number)
        timings.append(time.perf_counter() - started)
        found.append(partner.id)
    return timings, found


def report(label, stream, timings, found):
    per_kind, hits_per_kind = Counter(), Counter()
    wrong_for_nobody = 0
    for (_number, expected, kind), got in zip(stream, found, strict=True):
        if expected is None:
            wrong_for_nobody += bool(got)
            continue
        per_kind[kind] += 1
        hits_per_kind[kind] += got == expected
    known = sum(per_kind.values())
    p50, p99 = percentiles_ms(timings)
    print(
        f"  {label:<34} right contact {sum(hits_per_kind.values()) / known:7.1%}   wrong for nobody's numbers:"
        f" {wrong_for_nobody}   p50 {p50:6.2f} ms   p99 {p99:6.2f} ms"
    )
    return {kind: hits_per_kind[kind] / per_kind[kind] for kind in per_kind}


def main():
    def arguments(parser):
        parser.add_argument("--partners", type=int, default=1_000_000)
        parser.add_argument("--lookups", type=int, default=2_000)

    registry, options = open_registry(__doc__.splitlines()[0], arguments)
    rng = random.Random(SEED)
    with registry.cursor() as cr:
        env = api.Environment(cr, api.SUPERUSER_ID, {})
        installed = set(env["ir.module.module"].search([("state", "=", "installed")]).mapped("name"))
        if not {"telephony", "sms"} <= installed:
            sys.exit(f"{options.database} needs the telephony and sms modules installed (bench/run does it).")
        company = env.company
        company.country_id = env.ref("base.fr")
        started = time.perf_counter()
        truth = insert_partners(env, options.partners, rng)
        inserted = time.perf_counter() - started
        started = time.perf_counter()
        env["res.partner"]._telephony_recompute_numbers()
        recomputed = time.perf_counter() - started
        cr.execute("ANALYZE res_partner")
        cr.commit()  # pylint: disable=invalid-commit  # a throwaway database the benchmark fills once
        unparsable = sum(1 for row in truth if row[3] == "unparsable")
        cr.execute("SELECT COUNT(*) FROM res_partner WHERE phone IS NOT NULL AND phone_e164 IS NULL")
        unread = cr.fetchone()[0]
        print(
            f"caller matching: {len(truth):,} contacts COPYed in {inserted:.1f} s; E.164 columns filled in SQL"
            f" batches in {recomputed:.1f} s; {unparsable:,} typed as unparsable, {unread:,} phones left unread"
        )
        stream = lookup_stream(truth, rng, options.lookups)
        partners = env["res.partner"]
        ours_t, ours = time_lookups(env, stream, lambda number: partners._telephony_match(number, company)[:1])
        odoo_t, odoos = time_lookups(
            env, stream, lambda number: partners.search([("phone_mobile_search", "=", number)], limit=1)
        )
        print(f"  {len(stream):,} incoming numbers in E.164, a tenth nobody's; ORM cache emptied before each lookup")
        ours_kinds = report("ours (_telephony_match)", stream, ours_t, ours)
        odoo_kinds = report("Odoo's phone_mobile_search '='", stream, odoo_t, odoos)
        print("  right contact by the format the number was typed in:   ours    Odoo's")
        for kind in sorted(ours_kinds):
            print(f"    {kind:<40} {ours_kinds[kind]:7.1%}  {odoo_kinds[kind]:7.1%}")
        cr.rollback()


if __name__ == "__main__":
    main()
