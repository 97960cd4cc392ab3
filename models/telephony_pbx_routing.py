"""Where a call goes: incoming numbers, rooms, users' extensions and outside numbers."""

import re

from odoo import models

from ..pbx.conference import Forward
from ..tools.phone import to_e164
from .telephony_extension_mixin import EXTENSION_PATTERN

# What ends a caller id's display name, or its line in pjsip.conf.
UNSAFE_NAME_CHARACTERS = re.compile(r'["<>\\;\x00-\x1f\x7f]')


class TelephonyPbx(models.Model):
    _inherit = "telephony.pbx"

    def _resolve_destination(self, called, caller, caller_is_phone=True):
        """Who a call to ``called`` from ``caller`` is for, as telephony.call values.

        An incoming number wins over an extension (a public number may end like an
        extension); a caller who is a user's extension makes the call internal, when the call comes from
        that phone (``caller_is_phone``): a trunk presenting an extension is an outside caller.
        """
        self.ensure_one()
        values = {"direction": "inbound"}
        caller_user = self._user_with_extension(caller) if caller_is_phone else self.env["res.users"]
        if caller_user:
            # A user's phone dialling an outside number by itself places an outbound call.
            direction = "internal" if EXTENSION_PATTERN.fullmatch(called or "") else "outbound"
            values.update(direction=direction, user_id=caller_user.id, employee_id=caller_user.employee_id.id)
        incoming = self._incoming_number(called)
        if incoming:
            values["incoming_number_id"] = incoming.id
            if incoming.destination_type == "conference":
                # An archived room takes no calls, not even through a number still pointing at it: hang up.
                if incoming.conference_id.active:
                    values["conference_id"] = incoming.conference_id.id
            elif incoming.destination_type == "user":
                values.update(user_id=incoming.user_id.id, employee_id=incoming.user_id.employee_id.id)
            return values
        room = (
            self.env["telephony.conference"]
            .sudo()
            .search(
                [("extension", "=", called), ("kind", "=", "room"), ("company_id", "=", self.company_id.id)], limit=1
            )
        )
        if room:
            values["conference_id"] = room.id
            return values
        called_user = self._user_with_extension(called)
        if called_user and not caller_user:
            # A call between two users is the caller's (as when placed from Odoo); the callee answers it.
            values.update(user_id=called_user.id, employee_id=called_user.employee_id.id)
        return values

    def _user_with_extension(self, number):
        """The user of this PBX's company whose extension is ``number`` (nobody for anything else)."""
        return self.env["res.users"]._telephony_user_with_extension(number, self.company_id)

    def _incoming_number(self, called):
        e164 = to_e164(called, self.company_id.country_id.code)
        if not e164:
            return self.env["telephony.incoming.number"]
        return (
            self.env["telephony.incoming.number"]
            .sudo()
            .search([("number", "=", e164), ("company_id", "=", self.company_id.id)], limit=1)
        )

    def _route_call(self, dialled, caller, outbound):
        """Where the listener's router sends a new call: a Room, a Forward, or None (hang up).

        Only a call an Odoo user placed (``outbound``) may leave for an outside number: a caller from
        outside never gets the company's trunks. A user calling shows their name with their extension
        (the router adds an outside caller's name, which only the PBX knows).
        """
        self.ensure_one()
        # The router's "outbound" says the call comes from Odoo or from the phone named after its caller number:
        # only then is the caller the user of that extension.
        destination = self._resolve_destination(dialled, caller, caller_is_phone=outbound)
        caller_user = self._user_with_extension(caller) if outbound else self.env["res.users"]
        caller_id = _caller_id(caller, caller_user.name)
        conference = self.env["telephony.conference"].sudo().browse(destination.get("conference_id"))
        if conference:
            return conference._router_room()
        user = self.env["res.users"].sudo().browse(destination.get("user_id"))
        if user.telephony_extension and destination["direction"] == "inbound":
            return Forward(self._endpoint_for(user.telephony_extension, internal=True), caller_id)
        if destination["direction"] == "internal":
            called_user = self._user_with_extension(dialled)
            if called_user:
                return Forward(self._endpoint_for(dialled, internal=True), caller_id)
        e164 = to_e164(dialled, self.company_id.country_id.code)
        # The router's "outbound" only says the channel came from the endpoint named after its caller number:
        # Asterisk's anonymous endpoint, or a trunk named after the number it presents, passes that too.
        if outbound and e164 and caller_user:
            return Forward(self._endpoint_for(e164, internal=False), caller_id)
        return None


def _caller_id(number, name=None):
    """``"Anna" <201>``, or ``<+33612345678>`` for a number nobody's name goes with."""
    if not number:
        return ""
    name = caller_id_name(name)
    return f'"{name}" <{number}>' if name else f"<{number}>"


def caller_id_name(name):
    """``name`` as the display name of a caller id: users name themselves, and a quote, a bracket, a backslash
    or a line break would end the name or the line in pjsip.conf (``;`` starts a comment there)."""
    return " ".join(UNSAFE_NAME_CHARACTERS.sub(" ", name or "").split())
