"""Click-to-dial: the calls a user places from Odoo, and the keys and hang-up they send during them."""

import re
import uuid

from odoo import api, models
from odoo.exceptions import AccessError, UserError

from ..pbx.conference import DTMF_EVENT, RING_SECONDS
from ..tools.groups import USER_GROUP
from ..tools.phone import to_e164
from .telephony_extension_mixin import EXTENSION_PATTERN

DIAL_PREFIX = "telephony-dial-"
DTMF_PATTERN = re.compile(r"[0-9*#]{1,32}")


class TelephonyCall(models.Model):
    _inherit = "telephony.call"

    @api.model
    def action_dial(self, number):
        """Place a call for the current user: the PBX rings their phone, then calls ``number``.

        ``number`` may be a room's extension: the room's receptionist then asks for its access code,
        which the user types on the phone or in the widget (see :meth:`action_send_dtmf`).
        """
        user = self.env.user
        pbx, number, internal = self._telephony_dial_target(number)
        channel_id = f"{DIAL_PREFIX}{uuid.uuid4().hex}"
        destination = pbx._resolve_destination(number, user.telephony_extension)
        call = self.sudo().create(
            {
                **destination,
                "direction": "internal" if internal else "outbound",
                "pbx_id": pbx.id,
                "pbx_unique_id": channel_id,
                "company_id": pbx.company_id.id,
                "caller_number": user.telephony_extension,
                "called_number": number,
                "user_id": user.id,
                "employee_id": user.employee_id.id,
            }
        )
        pbx._call_pbx(
            lambda client: client.originate(
                pbx._endpoint_for(user.telephony_extension, internal=True),
                app_args=["dial", number, user.telephony_extension],
                caller_id=f'"{number}" <{number}>',
                timeout=RING_SECONDS,
                channel_id=channel_id,
            )
        )
        return call._telephony_payload()

    @api.model
    def telephony_softphone_target(self, number):
        """What the current user's browser phone dials for ``number``: the same checks and the same number
        the PBX gets when Odoo places the call. The PBX journals the call when the browser's call reaches it."""
        return {"target": self._telephony_dial_target(number)[1]}

    @api.model
    def _telephony_dial_target(self, number):
        """``(pbx, number, internal)`` for a call the current user places, or an error that says why not."""
        user = self.env.user
        if not user.has_group(USER_GROUP):
            raise AccessError(self.env._("Only telephony users place calls from Odoo."))
        if not user.telephony_enabled:
            raise UserError(
                self.env._("Calling from Odoo is turned off for you: turn it on in My Profile › Telephony.")
            )
        if not user.telephony_extension:
            raise UserError(self.env._("You have no extension yet: ask a telephony manager to give you one."))
        pbx = self.env["telephony.pbx"]._default_pbx()
        if not pbx:
            raise UserError(self.env._("No PBX is configured for %(company)s.", company=self.env.company.name))
        number, internal = self._telephony_dialable(number, self.env.company)
        return pbx, number, internal

    def _telephony_dialable(self, number, company):
        """``number`` as the PBX gets it, and whether it is an internal extension; a clear error otherwise."""
        number = (number or "").strip()
        if EXTENSION_PATTERN.fullmatch(number):
            return number, True
        # What the PBX gets is the number as phonenumbers read it, never what was typed: a comma typed
        # after a valid number would otherwise become one more argument of the call on the PBX.
        dialable = to_e164(number, company.country_id.code)
        if not dialable:
            raise UserError(
                self.env._("%(number)s is neither an internal extension nor a valid phone number.", number=number)
                if number
                else self.env._("Type a number to call.")
            )
        return dialable, False

    def action_send_dtmf(self, digits):
        """Keys typed on the widget's dialpad during my call reach the PBX as if typed on my phone."""
        self.ensure_one()
        if self.user_id != self.env.user:
            raise AccessError(self.env._("You can only type on the keypad of your own calls."))
        if not DTMF_PATTERN.fullmatch(digits or ""):
            raise UserError(self.env._("Only the keys 0-9, * and # can be sent to the PBX."))
        if self.end_date:
            raise UserError(self.env._("This call has ended."))
        channel_id = self.pbx_unique_id
        self.pbx_id._call_pbx(lambda client: client.user_event(DTMF_EVENT, {"channel": channel_id, "digits": digits}))
        return True

    def action_hang_up(self):
        """Hang up my own call (my phone's leg; the PBX hangs up the other side with it)."""
        self.ensure_one()
        if self.user_id != self.env.user:
            raise AccessError(self.env._("You can only hang up your own calls."))
        if not self.end_date:
            channel_id = self.pbx_unique_id
            self.pbx_id._call_pbx(lambda client: client.hangup_if_present(channel_id))
        return True
