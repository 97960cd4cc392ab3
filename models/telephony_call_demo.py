"""Plausible calls for the demo database."""

import random
from datetime import timedelta

from odoo import api, fields, models


class TelephonyCall(models.Model):
    _inherit = "telephony.call"

    @api.model
    def _generate_demo_calls(self, count=300, days=60, seed=18):
        """Fill the journal with ``count`` plausible calls over the last ``days`` days (demo data)."""
        rng = random.Random(seed)
        pbx = self.env.ref("telephony.telephony_pbx_demo")
        users = self.env["res.users"].search([("telephony_extension", "!=", False), ("share", "=", False)])
        partners = self.env["res.partner"].search([("phone", "!=", False), ("is_company", "=", False)], limit=40)
        rooms = self.env["telephony.conference"].search([("kind", "=", "room")])
        incoming_numbers = self.env["telephony.incoming.number"].search([("company_id", "=", pbx.company_id.id)])
        now = fields.Datetime.now()
        vals_list = []
        for index in range(count):
            start = (now - timedelta(days=rng.uniform(0, days))).replace(hour=rng.randint(8, 18))
            if start > now:
                start -= timedelta(days=1)
            vals_list.append(_demo_call_vals(rng, index, start, pbx, users, partners, rooms, incoming_numbers))
        return self.create(vals_list)


def _demo_call_vals(rng, index, start, pbx, users, partners, rooms, incoming_numbers):
    user = rng.choice(users)
    direction = rng.choices(["inbound", "outbound", "internal"], weights=[5, 4, 1])[0]
    state = rng.choices(["answered", "missed", "busy", "failed"], weights=[14, 4, 1, 1])[0]
    if direction == "outbound" and state == "missed":
        state = "answered"
    ring = timedelta(seconds=rng.randint(2, 30))
    talk = timedelta(seconds=rng.randint(15, 1200))
    partner = rng.choice(partners) if partners and direction != "internal" and rng.random() < 0.8 else partners[:0]
    external = partner.phone or f"+1 415 555 {rng.randint(1000, 9999)}"
    vals = {
        "pbx_id": pbx.id,
        "pbx_unique_id": f"demo-{index:05d}",
        "direction": direction,
        "state": state,
        "user_id": user.id,
        "employee_id": user.employee_id.id,
        "partner_id": partner.id,
        "start_date": start,
        "answer_date": start + ring if state == "answered" else False,
        "end_date": start + ring + (talk if state == "answered" else timedelta()),
    }
    if direction == "inbound":
        vals.update(caller_number=external, called_number=user.telephony_extension)
        if incoming_numbers and rng.random() < 0.3:
            incoming = rng.choice(incoming_numbers)
            vals.update(incoming_number_id=incoming.id, called_number=incoming.number)
            if incoming.conference_id:
                vals.update(conference_id=incoming.conference_id.id)
    elif direction == "outbound":
        vals.update(caller_number=user.telephony_extension, called_number=external)
    else:
        room = rng.choice(rooms) if rooms and rng.random() < 0.5 else rooms[:0]
        other = rng.choice(users)
        vals.update(
            caller_number=user.telephony_extension,
            called_number=room.extension or other.telephony_extension,
            conference_id=room.id,
        )
    return vals
