"""Recording on a PBX: the announcement, the policy handed to the call router, the recordings' events, and how
their fetching goes (what failed, and retrying it)."""

import dataclasses
import re

from odoo import api, fields, models
from odoo.exceptions import AccessError, ValidationError

from ..pbx.calls import RECORD_ALWAYS, RECORD_ON_DEMAND, Forward
from ..tools.groups import MANAGER_GROUP
from .telephony_recording import RECORDING_EVENTS

DEFAULT_ANNOUNCEMENT = "sound:conf-now-recording"  # asterisk-core-sounds-en: "This conference is being recorded"
MEDIA_PATTERN = re.compile(r"(sound|recording):[A-Za-z0-9_./-]+")
ROUTER_POLICIES = {"always": RECORD_ALWAYS, "on_demand": RECORD_ON_DEMAND}


class TelephonyPbx(models.Model):
    _inherit = "telephony.pbx"

    recording_announcement = fields.Char(
        default=DEFAULT_ANNOUNCEMENT,
        groups=MANAGER_GROUP,
        help="What both parties hear before a call is recorded (when the company announces recordings): an "
        "Asterisk media URI, sound:<file> for a file of the PBX's sounds directory without its extension.",
    )
    recording_ids = fields.One2many("telephony.recording", "pbx_id", groups=MANAGER_GROUP)
    recording_failed_count = fields.Integer(
        string="Recordings Not Fetched", compute="_compute_recording_failures", groups=MANAGER_GROUP
    )
    recording_last_error = fields.Text(
        string="Last Recording Error", compute="_compute_recording_failures", groups=MANAGER_GROUP
    )

    @api.constrains("recording_announcement")
    def _check_recording_announcement(self):
        for pbx in self.sudo():
            if pbx.recording_announcement and not MEDIA_PATTERN.fullmatch(pbx.recording_announcement):
                raise ValidationError(
                    self.env._(
                        "%(media)s is not a sound the PBX can play: write sound:<file name> (e.g. %(example)s) "
                        "or recording:<name>, or leave it empty for no announcement.",
                        media=pbx.recording_announcement,
                        example=DEFAULT_ANNOUNCEMENT,
                    )
                )

    def _compute_recording_failures(self):
        failed = (
            self.env["telephony.recording"]
            .sudo()
            .search([("pbx_id", "in", self.ids), ("state", "=", "fetch_failed")], order="write_date desc")
        )
        for pbx in self:
            mine = failed.filtered(lambda recording, pbx=pbx: recording.pbx_id == pbx)
            pbx.recording_failed_count = len(mine)
            pbx.recording_last_error = mine[:1].last_error or False

    def action_retry_recordings(self):
        self.ensure_one()
        if not self.env.user.has_group(MANAGER_GROUP):
            raise AccessError(self.env._("Only a telephony manager may fetch recordings again."))
        failed = self.env["telephony.recording"].search([("pbx_id", "=", self.id), ("state", "=", "fetch_failed")])
        failed.action_retry_fetch()
        return self._notification(
            self.env._("Recordings"),
            self.env._("Odoo fetches the %(count)s recordings again now.", count=len(failed)),
            "info",
        )

    def action_view_failed_recordings(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("telephony.telephony_recording_action")
        action["domain"] = [("pbx_id", "=", self.id), ("state", "=", "fetch_failed")]
        return action

    def _call_pbx_quietly(self, operation):
        """Run ``operation(client)`` for a cron: a PbxError is the cron's to record, not a user's to read."""
        self.ensure_one()
        client = self._ari_client()
        try:
            return operation(client)
        finally:
            client.close()

    def _apply_ari_events(self, events):
        changed = super()._apply_ari_events(events)
        recording_events = [event for event in events if event.get("type") in RECORDING_EVENTS]
        if recording_events:
            self.env["telephony.recording"].sudo()._apply_pbx_events(self.sudo(), recording_events)
        return changed

    # ------------------------------------------------------------------
    # Policy
    # ------------------------------------------------------------------

    def _route_call(self, dialled, caller, outbound):
        destination = super()._route_call(dialled, caller, outbound)
        if not isinstance(destination, Forward):
            return destination
        values = self._resolve_destination(dialled, caller, caller_is_phone=outbound)
        incoming = self.env["telephony.incoming.number"].sudo().browse(values.get("incoming_number_id"))
        user = self.env["res.users"].sudo().browse(values.get("user_id"))
        return dataclasses.replace(destination, **self._recording_for_router(self._recording_policy(incoming, user)))

    def _recording_policy(self, incoming, user):
        """Whether a call to or from ``user`` through ``incoming`` is recorded: the most specific setting wins
        (the incoming number, then the user, then the company; rooms decide for themselves)."""
        return (
            incoming.sudo().recording_policy
            or user.sudo().telephony_recording_policy
            or self.sudo().company_id.telephony_recording_policy
        )

    def _recording_for_router(self, policy):
        """``policy`` as the router's Forward and Room take it, with the announcement to play first."""
        pbx = self.sudo()
        recording = ROUTER_POLICIES.get(policy, "")
        announce = recording and pbx.company_id.telephony_recording_announce and pbx.recording_announcement
        return {"recording": recording, "announcement": announce or ""}
