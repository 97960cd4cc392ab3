"""What the conference forms and lists may offer the current user, so that nobody fills a dialog only
to be refused."""

from odoo import api, fields, models


class TelephonyConference(models.Model):
    _inherit = "telephony.conference"

    can_invite = fields.Boolean(
        compute="_compute_can_invite",
        help="The current user may call people into this conference: it is not archived, and they moderate it.",
    )

    @api.depends_context("uid")
    @api.depends("active", "creator_id", "administrator_id")
    def _compute_can_invite(self):
        for conference in self:
            conference.can_invite = conference.active and conference._may_moderate()
