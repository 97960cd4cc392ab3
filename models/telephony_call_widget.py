"""What the VoIP widget asks the journal: its state, suggestions while typing, and the caller card."""

from odoo import api, models

from ..tools.groups import USER_GROUP
from ..tools.phone import display_number, format_international


class TelephonyCall(models.Model):
    _inherit = "telephony.call"

    def write(self, vals):
        result = super().write(vals)
        if "partner_id" in vals and not self.env.context.get("telephony_journaling"):
            # The caller card of a live call follows its contact, created or linked while it is on. Past
            # calls moving to a contact (there may be hundreds) are read again when the widget opens.
            self.filtered(lambda call: not call.end_date)._notify_user()
        return result

    def _telephony_payload(self):
        """The journal's payload, plus what people read in the widget: the other party's number in the
        one display format, who it is (contact, room or colleague), and whether the room asks for a code."""
        payload = super()._telephony_payload()
        other_number = self._telephony_other_number()
        payload.update(
            number_display=display_number(other_number, self.company_id.country_id.code),
            contact_name=self._telephony_contact_name(other_number),
            access_code_required=self.conference_id.sudo().has_access_code,
            transfer_name=self._telephony_transfer_name(),
            transferred_by_name=self.transferred_by_id.sudo().name or "",
        )
        return payload

    def _telephony_transfer_name(self):
        """Whom the call was transferred (or is being transferred) to, as people read it."""
        if not self.transfer_number:
            return ""
        room = (
            self.env["telephony.conference"]
            .sudo()
            .search([("extension", "=", self.transfer_number), ("company_id", "=", self.company_id.id)], limit=1)
        )
        return (
            self.transfer_user_id.sudo().name
            or room.name
            or display_number(self.transfer_number, self.company_id.country_id.code)
        )

    def _telephony_handed_over_by(self, user):
        """Whether ``user`` transferred this call away and is no longer on it."""
        return self.transferred_by_id == user and self.transfer_state in ("ringing", "answered")

    def _telephony_other_number(self):
        """The number of whoever is on the other side for this call's user."""
        if self.direction == "inbound":
            return self.caller_number or ""
        if self.direction == "internal" and self.called_number == self.user_id.telephony_extension:
            return self.caller_number or ""
        return self.called_number or ""

    def _telephony_is_internal(self):
        return self.direction == "internal" or bool(self.conference_id)

    def _telephony_contact_name(self, other_number):
        """Who the other party is, as a name: the room, the colleague or the contact ("" if nobody)."""
        if self.conference_id:
            return self.conference_id.sudo().name
        if self.direction == "internal":
            return self.env["res.users"]._telephony_user_with_extension(other_number, self.company_id).name or ""
        return self.partner_id.sudo().display_name or ""

    @api.model
    def telephony_widget_data(self):
        """What the VoIP widget shows when it opens: my settings, my live call and my last calls."""
        user = self.env.user
        if not user.has_group(USER_GROUP):
            return {"enabled": False, "extension": "", "live_call": False, "recent_calls": []}
        mine = [
            "|",
            "|",
            "|",
            ("user_id", "=", user.id),
            ("answered_user_id", "=", user.id),
            ("transfer_user_id", "=", user.id),
            ("transferred_by_id", "=", user.id),
        ]
        recent = self.search(mine, limit=8)
        # A call I handed over is no longer mine to show live; a consultation shows in the call it was placed
        # from.
        open_calls = self.search([*mine, ("end_date", "=", False)], limit=20)
        consultations = open_calls.consult_call_id
        live = open_calls.filtered(lambda call: not call._telephony_handed_over_by(user) and call not in consultations)[
            :1
        ]
        return {
            "enabled": user.telephony_enabled,
            "extension": user.telephony_extension or "",
            "live_call": live._telephony_payload() if live else False,
            "recent_calls": [call._telephony_payload() for call in recent],
        }

    @api.model
    def telephony_search_targets(self, term, limit=8):
        """Who the widget suggests while a number is typed: rooms, colleagues and contacts I can see,
        each with the number the PBX would dial."""
        term = (term or "").strip()
        if len(term) < 2:
            return []
        suggestions = []
        for room in self.env["telephony.conference"].search(
            [("kind", "=", "room"), "|", ("name", "ilike", term), ("extension", "=like", f"{term}%")], limit=limit
        ):
            suggestions.append({"kind": "room", "label": room.name, "number": room.extension})
        for employee in self.env["hr.employee.public"].search(
            ["|", ("name", "ilike", term), ("work_phone", "ilike", term)], limit=limit
        ):
            if number := employee._telephony_number():
                suggestions.append({"kind": "employee", "label": employee.name, "number": number})
        for partner in self.env["res.partner"].search(
            ["|", "|", ("name", "ilike", term), ("phone", "ilike", term), ("mobile", "ilike", term)], limit=limit
        ):
            if number := partner.phone or partner.mobile:
                suggestions.append({"kind": "partner", "label": partner.display_name, "number": number})
        return suggestions[:limit]

    def telephony_caller_card(self):
        """What my widget shows about the other party of this call, and the action my personal
        settings perform for it (an ``ir.actions`` dict, or False)."""
        self.ensure_one()
        self.check_access("read")
        partners = self.env["res.partner"]
        if self.contact_number_e164 and not self._telephony_is_internal():
            partners = partners._telephony_match(self.contact_number_e164, self.company_id)
        partner = self.partner_id if self.partner_id in partners or not partners else partners[:1]
        number = self._telephony_other_number()
        internal = self._telephony_is_internal()
        return {
            "call_id": self.id,
            "direction": self.direction,
            "number": number,
            "number_international": display_number(self.contact_number_e164 or number, self.company_id.country_id.code),
            "internal": internal,
            "internal_name": self._telephony_contact_name(number) if internal else "",
            "access_code_required": self.conference_id.sudo().has_access_code,
            "can_create_contact": self._telephony_may_create_contact(),
            "can_link_contact": self._telephony_may_link_contact(),
            "partner_id": partner.id,
            "call_partner_id": self.partner_id.id,
            "partners": [
                {
                    "id": match.id,
                    "name": match.name or match.display_name,
                    "company_name": match.parent_id.name or "",
                    "is_company": match.is_company,
                    "function": match.function or "",
                }
                for match in partners
            ],
            "colleagues": self.env["hr.employee"]
            .sudo()
            ._telephony_match(self.contact_number_e164, self.company_id)
            .mapped("name"),
            "last_calls": self._telephony_history(partner)._telephony_payloads(),
            "activities": partner._telephony_open_activities() if partner else [],
            "action": self._telephony_action(partner),
        }

    def _telephony_may_create_contact(self):
        return self.env["res.partner"].has_access("create")

    def _telephony_may_link_contact(self):
        """Linking writes the number on a contact, through the link wizard."""
        return self.env["res.partner"].has_access("write") and self.env["telephony.link.number"].has_access("create")

    def _telephony_history(self, partner, limit=5):
        """The last calls with this call's other party (the partner's, or the raw number's)."""
        domain = [("id", "!=", self.id)]
        if partner:
            domain.append(("partner_id", "child_of", partner.commercial_partner_id.id))
        elif self.contact_number_e164:
            domain.append(("contact_number_e164", "=", self.contact_number_e164))
        else:
            return self.browse()
        return self.search(domain, limit=limit)

    def _telephony_payloads(self):
        return [call._telephony_payload() for call in self]

    def _telephony_action(self, partner):
        """The personal setting of this call's user for its direction, turned into an action.

        "Do nothing" wins over the unknown-number setting: whoever asked for nothing on a call
        gets nothing, known number or not.
        """
        user = self.user_id or self.env.user
        setting = user.telephony_outgoing_action if self.direction == "outbound" else user.telephony_incoming_action
        if self.direction == "internal" or setting == "nothing":
            return False
        if partner:
            if setting == "timeline":
                return partner.action_telephony_timeline()
            if setting == "lead" and "crm.lead" in self.env:
                return self._telephony_new_lead_action(partner)
            return partner._get_records_action(name=partner.display_name, context={})
        if not self.contact_number_e164:
            return False
        # A form without Save is no help: whoever may not create contacts gets the number's timeline.
        if user.telephony_unknown_action == "timeline" or not self._telephony_may_create_contact():
            return self.env["telephony.timeline"].action_open_for_number(self.contact_number_e164)
        return self.env["telephony.timeline"].action_new_contact(self.contact_number_e164)

    def _telephony_new_lead_action(self, partner):
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("New Lead"),
            "res_model": "crm.lead",
            "views": [[False, "form"]],
            "target": "current",
            "context": {
                "default_name": self.env._("Call with %(partner)s", partner=partner.display_name),
                "default_partner_id": partner.id,
                "default_phone": format_international(self.contact_number_e164),
            },
        }
