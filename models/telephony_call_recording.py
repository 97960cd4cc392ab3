"""A call's recordings: on-demand start and stop from the widget, and what the widget shows of them."""

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from ..pbx.recording import RECORD_EVENT
from ..tools.groups import MANAGER_GROUP


class TelephonyCall(models.Model):
    _inherit = "telephony.call"

    recording_ids = fields.One2many("telephony.recording", "call_id", string="Recordings")
    recording_live = fields.Boolean(
        string="Being Recorded", compute="_compute_recording_live", help="The PBX records this call now."
    )

    @api.depends("recording_ids.state")
    def _compute_recording_live(self):
        # Whoever sees the call sees whether it is recorded, also those who may not listen to it (a transfer's
        # target): the recordings themselves stay theirs.
        for call in self:
            call.recording_live = "recording" in call.sudo().recording_ids.mapped("state")

    @api.ondelete(at_uninstall=False)
    def _unlink_recordings(self):
        # Through the ORM rather than the database's cascade, which would leave their files in the filestore.
        self.env["telephony.recording"].sudo().search([("call_id", "in", self.ids)]).unlink()

    def _telephony_recording_policy(self):
        """The policy that applies to this call (see telephony.pbx._recording_policy)."""
        self.ensure_one()
        user = self.answered_user_id if self.direction == "inbound" and self.answered_user_id else self.user_id
        return self.pbx_id._recording_policy(self.incoming_number_id, user)

    def action_start_recording(self):
        """Record this call from now on (the other party first hears the announcement)."""
        user, leg = self._telephony_recording_leg()
        if self.recording_live:
            raise UserError(self.env._("This call is already being recorded."))
        pbx = self.pbx_id.sudo()
        announcement = pbx._recording_for_router("on_demand")["announcement"]
        self._telephony_send(RECORD_EVENT, user, leg, {"record": "1", "announcement": announcement})
        return True

    def action_stop_recording(self):
        user, leg = self._telephony_recording_leg()
        live = self.sudo().recording_ids.filtered(lambda recording: recording.state == "recording")
        if not live:
            raise UserError(self.env._("This call is not being recorded."))
        self._telephony_send(RECORD_EVENT, user, leg, {"record": "0", "name": live[:1].name})
        return True

    def _telephony_recording_leg(self):
        """Who asks (the call's own user, or a telephony manager for them) and their leg; refusals name why."""
        self.ensure_one()
        me = self.env.user
        if me not in self._telephony_parties() and not me.has_group(MANAGER_GROUP):
            raise AccessError(self.env._("You can only record your own calls."))
        if self.conference_id:
            raise UserError(self.env._("A room is recorded by its own setting, not from a call."))
        policy = self._telephony_recording_policy()
        if policy != "on_demand":
            labels = dict(
                self.env["res.company"]._fields["telephony_recording_policy"]._description_selection(self.env)
            )
            raise UserError(
                self.env._(
                    "This call cannot be recorded on demand: its recording setting is %(policy)s.",
                    policy=labels[policy],
                )
            )
        if self.end_date:
            raise UserError(self.env._("This call has ended."))
        if self.state != "answered":
            raise UserError(self.env._("Only a connected call can be recorded."))
        return self._telephony_my_leg()

    def _telephony_recording_urls(self):
        """``{call id: player URL}``: the stored recording of each of these calls that I may play (the latest, if a
        call has several). Record rules decide: the call's own users and the company's telephony managers."""
        recordings = self.env["telephony.recording"].search(
            [("call_id", "in", self.ids), ("state", "=", "stored")], order="start_date, id"
        )
        return {recording.call_id.id: recording.player_url for recording in recordings}

    def _telephony_payloads(self):
        """The past calls a caller card lists, each with its recording's player when I may play it."""
        payloads = super()._telephony_payloads()
        urls = self._telephony_recording_urls()
        for payload in payloads:
            payload["recording_url"] = urls.get(payload["id"], False)
        return payloads

    def _telephony_payload(self):
        payload = super()._telephony_payload()
        payload["recording"] = self.recording_live
        payload["recording_on_demand"] = self._telephony_recording_policy() == "on_demand"
        return payload
