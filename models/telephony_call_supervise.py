"""Live supervision for telephony managers: the live calls their board shows, and Listen, Whisper and Barge.

Odoo rings the manager's own phone (desk or browser: the endpoint of their extension, as click-to-dial does) into
the application with the leg to supervise; the listener's router does the rest (pbx/supervision.py) and the audit
rows follow from the PBX's events (telephony_call_supervision.py). A mode switch on a supervision already up is an
ARI user event to the router, as hold and transfer are: the phone does not ring again.
"""

from datetime import timezone

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from ..pbx.conference import RING_SECONDS
from ..pbx.supervision import MODES, SUPERVISE_EVENT, new_supervision_leg_id
from ..tools.groups import MANAGER_GROUP
from .telephony_conference_participant import LIVE_STATES
from .telephony_pbx_routing import caller_id_name

LIVE_BOARD_CHANNEL = "telephony_live_calls"  # subchannel of each company the live-calls board listens to
LIVE_BOARD_NOTIFICATION = "telephony/live_calls"
LIVE_BOARD_FIELDS = {
    "state",
    "answer_date",
    "end_date",
    "user_id",
    "answered_user_id",
    "partner_id",
    "on_hold",
    "transfer_state",
    "transfer_user_id",
}


class TelephonyCall(models.Model):
    _inherit = "telephony.call"

    supervision_ids = fields.One2many("telephony.call.supervision", "call_id", readonly=True, groups=MANAGER_GROUP)

    @api.model_create_multi
    def create(self, vals_list):
        calls = super().create(vals_list)
        calls.filtered(lambda call: not call.end_date)._telephony_board_changed()
        return calls

    def write(self, vals):
        result = super().write(vals)
        if vals.keys() & LIVE_BOARD_FIELDS:
            self._telephony_board_changed()
        return result

    # ------------------------------------------------------------------
    # The live-calls board
    # ------------------------------------------------------------------

    @api.model
    def telephony_live_calls(self):
        """The calls ringing or connected now in the manager's current companies, oldest first, as the live board
        shows them (see README, *Live supervision*)."""
        self._telephony_check_supervisor()
        calls = self.search(
            [
                ("end_date", "=", False),
                ("state", "in", ("ringing", "answered")),
                ("company_id", "in", self.env.companies.ids),
            ],
            order="start_date, id",
        )
        mine = self.env["telephony.call.supervision"].search(
            [("call_id", "in", calls.ids), ("supervisor_id", "=", self.env.uid), ("state", "!=", "ended")],
            order="id",
        )
        # The latest row wins: a mode being switched to follows the one it replaces.
        my_rows = {row.call_id.id: row for row in mine}
        return [call._telephony_live_payload(my_rows.get(call.id)) for call in calls]

    def _telephony_live_payload(self, my_row=None):
        self.ensure_one()
        user = self.user_id or self.answered_user_id
        return {
            "id": self.id,
            "company_id": self.company_id.id,
            "user": user.name or "",
            "user_id": user.id,
            "other_party": self._telephony_other_party(user),
            "direction": self.direction,
            "state": self.state,
            "on_hold": self.on_hold,
            "start_date": _utc_iso(self.start_date),
            "answer_date": _utc_iso(self.answer_date),
            "room": self.conference_id.name or "",
            "excluded": bool(self._telephony_heard_users().filtered("telephony_supervision_excluded")),
            "my_mode": my_row.mode if my_row else False,
            # "ringing" while the manager's phone rings for it: the mode is not on yet, nor can it be switched.
            "my_state": my_row.state if my_row else False,
        }

    def _telephony_other_party(self, user):
        """Who the user talks with: the contact, else the colleague, else the number."""
        if self.partner_id:
            return self.partner_id.display_name
        colleague = (self.answered_user_id | self._telephony_caller_user()) - user
        if self.direction == "internal" and colleague:
            return colleague[:1].name
        return (self.called_number_display if self.direction == "outbound" else self.caller_number_display) or ""

    def _telephony_board_changed(self):
        """Tell the live-calls boards of these calls' companies to refresh: one notification per company and
        transaction, sent when it commits."""
        if not self:
            return
        pending = self.env.cr.precommit.data.get("telephony.live_board")
        if pending is None:
            pending = self.env.cr.precommit.data["telephony.live_board"] = {}
            self.env.cr.precommit.add(self._telephony_send_board_changes)
        for call in self:
            pending.setdefault(call.company_id.id, set()).add(call.id)

    def _telephony_send_board_changes(self):
        pending = self.env.cr.precommit.data.pop("telephony.live_board", {})
        for company_id, call_ids in pending.items():
            company = self.env["res.company"].browse(company_id)
            self.env["bus.bus"]._sendone(
                (company, LIVE_BOARD_CHANNEL),
                LIVE_BOARD_NOTIFICATION,
                {"company_id": company_id, "call_ids": sorted(call_ids)},
            )

    # ------------------------------------------------------------------
    # Listen, whisper, barge
    # ------------------------------------------------------------------

    def action_supervise(self, mode):
        """Listen to this call, whisper to its user (only they hear me) or barge in (everyone hears me), from my
        own phone; if I already supervise it, switch to ``mode`` without ringing again."""
        self.ensure_one()
        self._telephony_check_supervisor()
        self.check_access("read")
        if mode not in MODES:
            raise UserError(
                self.env._("%(mode)s is not a way to supervise a call: Listen, Whisper or Barge.", mode=mode)
            )
        self._telephony_check_supervisable()
        current = self.env["telephony.call.supervision"].search(
            [("call_id", "=", self.id), ("supervisor_id", "=", self.env.uid), ("state", "!=", "ended")], limit=1
        )
        if current:
            return self._telephony_switch_supervision(current, mode)
        return self._telephony_ring_supervisor(mode)

    def _telephony_check_supervisor(self):
        if not self.env.user.has_group(MANAGER_GROUP):
            raise AccessError(self.env._("Only telephony managers may supervise calls."))

    def _telephony_check_supervisable(self):
        me = self.env.user
        if self.company_id not in me.company_ids:
            raise AccessError(self.env._("You may only supervise the calls of your own companies."))
        if self.end_date or self.state != "answered":
            raise UserError(self.env._("This call is not connected: only a call going on can be supervised."))
        excluded = self._telephony_heard_users().filtered("telephony_supervision_excluded")
        if excluded:
            raise UserError(
                self.env._(
                    "%(users)s may not be supervised: a telephony manager excluded them from supervision.",
                    users=", ".join(excluded.mapped("name")),
                )
            )
        if me in self._telephony_parties():
            raise UserError(self.env._("You are on this call yourself: you cannot supervise it."))

    def _telephony_heard_users(self):
        """The users a supervisor of this call hears: its parties and, in a room, everyone in the room (a leg in a
        room hears the whole room)."""
        in_room = self.conference_id.sudo().participant_ids.filtered(lambda p: p.state in LIVE_STATES)
        return self._telephony_parties() | in_room.user_id.with_env(self.env)

    def _telephony_switch_supervision(self, current, mode):
        if current.state == "ringing":
            raise UserError(
                self.env._("Your phone is still ringing for this call: answer it first, then switch the mode.")
            )
        if mode == current.mode:
            return True
        if mode == "whisper" and not current.target_is_user:
            raise UserError(self._telephony_nobody_to_whisper_to())
        self.pbx_id._call_pbx(
            lambda client: client.user_event(SUPERVISE_EVENT, {"channel": current.channel_id, "mode": mode})
        )
        return True

    def _telephony_ring_supervisor(self, mode):
        me = self.env.user
        if not me.telephony_extension:
            raise UserError(
                self.env._("You have no extension: Odoo rings your phone to supervise. Give yourself one first.")
            )
        target, user = self._telephony_supervised_leg()
        if not target:
            raise UserError(self.env._("This call has no leg left on the PBX to supervise."))
        if mode == "whisper" and not user:
            raise UserError(self._telephony_nobody_to_whisper_to())
        pbx = self.pbx_id.sudo()
        leg_id = new_supervision_leg_id()
        self.env["telephony.call.supervision"].sudo().create(
            {
                "call_id": self.id,
                "supervisor_id": me.id,
                "mode": mode,
                "channel_id": leg_id,
                "target_channel_id": target,
                "target_is_user": bool(user),
            }
        )
        label = caller_id_name(self._telephony_supervision_label(mode, user))
        pbx._call_pbx(
            lambda client: client.originate(
                pbx._endpoint_for(me.telephony_extension, internal=True),
                app_args=["supervise", target, mode],
                caller_id=f'"{label}"',
                timeout=RING_SECONDS,
                channel_id=leg_id,
            )
        )
        self._telephony_board_changed()
        return True

    def _telephony_nobody_to_whisper_to(self):
        return self.env._("Nobody of Odoo is on this call to whisper to: listen or barge instead.")

    def _telephony_supervised_leg(self):
        """``(leg, user)``: the PBX channel to supervise, a user's phone when one is on the call (whisper needs
        one), else the other party's leg (listen and barge hear the same call through it)."""
        if self.conference_id:
            return self.pbx_unique_id, self.user_id
        for user in self._telephony_parties():
            leg = self._telephony_leg_of(user)
            if leg:
                return leg, user
        if self.transferred_leg_id == self.pbx_unique_id:
            return self.transfer_leg_id or "", self.env["res.users"]
        return self.pbx_unique_id, self.env["res.users"]

    def _telephony_supervision_label(self, mode, user):
        """What the supervisor's phone shows: what it is, and whose call."""
        who = user.name or self._telephony_other_party(user)
        return {
            "listen": self.env._("Listen: %(who)s", who=who),
            "whisper": self.env._("Whisper: %(who)s", who=who),
            "barge": self.env._("Barge: %(who)s", who=who),
        }[mode]


def _utc_iso(value):
    return value.replace(tzinfo=timezone.utc).isoformat() if value else False
