"""Hold and transfer: what a user's connected call offers in the widget, whatever phone the user has.

Odoo asks the listener's call router through ARI user events (see pbx/transfer.py), the way it sends the keys
typed in the widget: only the router follows a call's live legs and the PBX events that follow. The journal
learns the outcome from the router's reports, not from here.
"""

import uuid

from odoo import models
from odoo.exceptions import AccessError, UserError

from ..pbx.calls import CONSULT_LEG, PEER_SUFFIX
from ..pbx.conference import Room
from ..pbx.transfer import HOLD_EVENT, TRANSFER_EVENT
from ..tools.groups import MANAGER_GROUP


class TelephonyCall(models.Model):
    _inherit = "telephony.call"

    def action_hold(self):
        """Put the other party on hold: they hear music and I no longer hear them."""
        return self._telephony_hold(True)

    def action_unhold(self):
        return self._telephony_hold(False)

    def action_transfer(self, target, attended=False):
        """Hand the other party over to ``target`` (an extension, a room or a phone number). Blind, my phone
        leaves at once; attended, the other party waits on hold while I talk to the target first, then I
        complete (:meth:`action_complete_transfer`) or cancel (:meth:`action_cancel_transfer`)."""
        user, leg = self._telephony_my_leg()
        self._telephony_check_no_consultation()
        pbx = self.pbx_id.sudo()
        number, internal = self._telephony_dialable(target, self.company_id)
        if number == user.telephony_extension:
            raise UserError(self.env._("You cannot transfer a call to yourself."))
        destination = pbx._route_call(number, user.telephony_extension, True)
        if destination is None:
            raise UserError(
                self.env._(
                    "Nobody can be reached at %(target)s: it is neither a room, a colleague's extension nor a "
                    "number the PBX may call.",
                    target=number,
                )
            )
        fields = {"mode": "blind", "target": number}
        if attended:
            if isinstance(destination, Room):
                raise UserError(self.env._("A room cannot be consulted: transfer the call to it directly."))
            consultation = self._telephony_open_consultation(number, internal, user)
            fields.update(mode="attended", consult=consultation.pbx_unique_id)
        self._telephony_send(TRANSFER_EVENT, user, leg, fields)
        return True

    def action_complete_transfer(self):
        """Connect the held party to the target I consulted, and leave the call."""
        user, leg = self._telephony_my_leg()
        consultation = self._telephony_consultation()
        if consultation.state != "answered":
            raise UserError(
                self.env._(
                    "%(target)s has not answered yet: wait for them, or cancel the transfer.",
                    target=self.transfer_number,
                )
            )
        self._telephony_send(TRANSFER_EVENT, user, leg, {"mode": "complete"})
        return True

    def action_cancel_transfer(self):
        """Hang up the consultation and talk to the held party again."""
        user, leg = self._telephony_my_leg()
        self._telephony_consultation()
        self._telephony_send(TRANSFER_EVENT, user, leg, {"mode": "cancel"})
        return True

    def _telephony_hold(self, hold):
        user, leg = self._telephony_my_leg()
        self._telephony_check_no_consultation()
        self._telephony_send(HOLD_EVENT, user, leg, {"hold": "1" if hold else "0"})
        return True

    def _telephony_send(self, name, user, leg, fields):
        """Ask the listener's router, through the PBX, to act on ``user``'s leg of this call."""
        values = {"channel": leg, "call": self.pbx_unique_id, "extension": user.telephony_extension or "", **fields}
        self.pbx_id._call_pbx(lambda client: client.user_event(name, values))

    def _telephony_my_leg(self):
        """The user this action is for and the PBX channel of their phone in this call: my own, or, for a
        telephony manager, that of whoever of Odoo is on it."""
        self.ensure_one()
        me = self.env.user
        leg = self._telephony_leg_of(me)
        user = me
        if not leg and me not in self._telephony_parties():
            if not me.has_group(MANAGER_GROUP):
                raise AccessError(self.env._("You can only hold or transfer your own calls."))
            user = next((party for party in self._telephony_parties() if self._telephony_leg_of(party)), me)
            leg = self._telephony_leg_of(user)
        if self.end_date:
            raise UserError(self.env._("This call has ended."))
        if self.conference_id:
            raise UserError(self.env._("A call in a room cannot be held or transferred."))
        if self.state != "answered":
            raise UserError(self.env._("Only a connected call can be held or transferred."))
        if not leg:
            raise UserError(
                self.env._("You are no longer on this call.")
                if user == me
                else self.env._("Nobody of Odoo is on this call any more.")
            )
        return user, leg

    def _telephony_parties(self):
        """The users this call was, or now is, with."""
        return (
            self._telephony_caller_user()
            | self.user_id
            | self.answered_user_id
            | self.transfer_user_id
            | self.transferred_by_id
        )

    def _telephony_caller_user(self):
        """The user whose phone the call's own channel is (who placed it), if a user placed it."""
        return self.env["res.users"]._telephony_user_with_extension(self.caller_number, self.company_id)

    def _telephony_leg_of(self, user):
        """The PBX channel of ``user``'s phone in this call now, or "": the call's own channel for who placed
        it, the peer leg for who answered it, the leg a transfer rang for who took it over (pbx/calls.py)."""
        if not user:
            return ""
        if self.transfer_state == "consulting" and user == self.transferred_by_id:
            return self.transferred_leg_id
        if self.transfer_leg_id and self.transfer_state in ("answered", "returned"):
            holder = self.transferred_by_id if self.transfer_state == "returned" else self.transfer_user_id
            if user == holder:
                return self.transfer_leg_id
        own_legs = {
            self.pbx_unique_id: self._telephony_caller_user(),
            f"{self.pbx_unique_id}{PEER_SUFFIX}": self.answered_user_id,
        }
        return next((leg for leg, owner in own_legs.items() if owner == user and leg != self.transferred_leg_id), "")

    def _telephony_check_no_consultation(self):
        if self.transfer_state == "consulting":
            raise UserError(self.env._("Complete or cancel the transfer in progress first."))

    def _telephony_consultation(self):
        if self.transfer_state != "consulting" or not self.consult_call_id:
            raise UserError(self.env._("No transfer is waiting to be completed."))
        return self.consult_call_id.sudo()

    def _telephony_open_consultation(self, number, internal, user):
        """Journal the call ``user`` places to the target of an attended transfer: a call of its own, keyed by
        the leg the router rings for it (named after this call, see pbx/calls.py)."""
        pbx = self.pbx_id.sudo()
        channel_id = f"{self.pbx_unique_id}{CONSULT_LEG}{uuid.uuid4().hex[:12]}"
        return self.sudo().create(
            {
                **pbx._resolve_destination(number, user.telephony_extension),
                "direction": "internal" if internal else "outbound",
                "pbx_id": pbx.id,
                "pbx_unique_id": channel_id,
                "company_id": self.company_id.id,
                "caller_number": user.telephony_extension,
                "called_number": number,
                "user_id": user.id,
                "employee_id": user.employee_id.id,
            }
        )
