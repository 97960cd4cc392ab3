"""A user's browser phone: the setting, the SIP account's credentials and their life on the PBX."""

import logging
import secrets

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from ..tools.groups import MANAGER_GROUP, USER_GROUP

_logger = logging.getLogger(__name__)

SOFTPHONE_NOTIFICATION = "telephony/softphone"


class ResUsers(models.Model):
    _inherit = "res.users"

    telephony_phone = fields.Selection(
        [("desk", "Desk phone"), ("browser", "This browser (softphone)")],
        string="Phone for Calls",
        default="desk",
        required=True,
        help="Desk phone: Odoo rings your phone first, then calls the number. This browser: the VoIP widget is "
        "your phone (microphone and speakers); calls ring in Odoo.",
    )
    # A user reads their own only through telephony_softphone_config; managers of the user's company read it in
    # telephony_sip_account. Not readable by managers through the ORM: internal users are readable across
    # companies, and a field's groups cannot tell one company's manager from another's.
    telephony_sip_password = fields.Char(string="SIP Password", groups="base.group_system", copy=False, readonly=True)
    # The extension whose browser phone the PBX has for this user (empty: none, or not known to be there).
    telephony_sip_provisioned = fields.Char(groups=MANAGER_GROUP, copy=False, readonly=True)
    telephony_sip_account = fields.Text(
        string="PJSIP Account",
        compute="_compute_telephony_sip_account",
        groups=MANAGER_GROUP,
        help="For a PBX whose browser phones are provisioned by hand: these sections go into pjsip.conf.",
    )

    @api.depends("telephony_phone", "telephony_extension", "telephony_sip_password")
    @api.depends_context("uid")
    def _compute_telephony_sip_account(self):
        reader_companies = self.env.user.company_ids
        for user in self:
            pbx = self.env["telephony.pbx"]._default_pbx(user.company_id)
            password = user.sudo().telephony_sip_password
            ready = (
                user.telephony_phone == "browser"
                and user.telephony_extension
                and password
                and user.sudo().company_ids & reader_companies
            )
            user.telephony_sip_account = (
                pbx._softphone_manual_config(user, password)
                if ready and pbx and pbx.softphone_provisioning == "manual"
                else False
            )

    def write(self, vals):
        moved = self.browse()
        if {"telephony_phone", "telephony_extension", "active", "groups_id"} & set(vals):
            moved = self.sudo().filtered("telephony_sip_provisioned")
            before = {user.id: user.telephony_sip_provisioned for user in moved}
        result = super().write(vals)
        for user in moved:
            if not user._telephony_keeps_browser_phone(before[user.id]):
                user._telephony_forget_browser_phone(before[user.id])
        return result

    def _telephony_keeps_browser_phone(self, extension):
        """Whether the PBX should still ring this user's browser on ``extension``: a user who left browser mode,
        changed extension, was archived or is no longer a telephony user has no browser phone."""
        self.ensure_one()
        return (
            self.telephony_phone == "browser"
            and self.telephony_extension == extension
            and self.active
            and self.has_group(USER_GROUP)
        )

    @api.ondelete(at_uninstall=False)
    def _unlink_telephony_browser_phone(self):
        # Its owner knows the account's password: left on the PBX, it would still place calls.
        for user in self.sudo().filtered("telephony_sip_provisioned"):
            user._telephony_forget_browser_phone(user.telephony_sip_provisioned)

    def _telephony_forget_browser_phone(self, extension):
        """The PBX no longer rings this user's browser on ``extension``. A PBX that cannot be told keeps the
        account until a manager deletes it: the setting the user chose is not lost for it."""
        self.ensure_one()
        pbx = self.env["telephony.pbx"]._default_pbx(self.company_id)
        if pbx:
            try:
                pbx._softphone_deprovision(extension)
            except UserError as error:
                _logger.warning("Browser phone %s of user %s stays on the PBX: %s", extension, self.id, error)
        self.sudo().telephony_sip_provisioned = False
        self._telephony_notify_softphone()

    def _telephony_notify_softphone(self):
        for user in self:
            user._bus_send(SOFTPHONE_NOTIFICATION, {"reload": True})

    @api.model
    def telephony_softphone_config(self):
        """What the current user's browser needs to be their phone, or why it cannot be (``reason``).

        The account is created on the PBX the first time it is needed. A PBX that refuses or does not answer
        leaves ``mode`` "browser" with an ``error``: the widget says so and asks again later.
        """
        user = self.env.user
        reason = self._telephony_softphone_unavailable_reason(user)
        if reason:
            return {"mode": "desk", "reason": reason} if user.telephony_phone == "browser" else {"mode": "desk"}
        pbx = self.env["telephony.pbx"]._default_pbx(user.company_id)
        account = user.sudo()
        if not account.telephony_sip_password:
            account.telephony_sip_password = _new_sip_password()
        if account.telephony_sip_provisioned != user.telephony_extension:
            try:
                pbx._softphone_provision(user, account.telephony_sip_password)
            except UserError as error:
                return {"mode": "browser", "error": str(error)}
            account.telephony_sip_provisioned = user.telephony_extension
        return {
            "mode": "browser",
            "websocket_url": pbx.sudo().softphone_websocket_url,
            "uri": f"sip:{user.telephony_extension}@{pbx._softphone_sip_domain()}",
            "domain": pbx._softphone_sip_domain(),
            "username": user.telephony_extension,
            "password": account.telephony_sip_password,
            "display_name": user.name,
        }

    @api.model
    def _telephony_softphone_unavailable_reason(self, user):
        if user.telephony_phone != "browser" or not user.telephony_enabled:
            return self.env._("Calling from Odoo is turned off for you.")
        if not user.has_group(USER_GROUP):
            # Odoo places no call for them (see _telephony_dial_target): nor does a SIP account it would give.
            return self.env._("Only telephony users place calls from Odoo.")
        if not user.telephony_extension:
            return self.env._("You have no extension yet: ask a telephony manager to give you one.")
        pbx = self.env["telephony.pbx"]._default_pbx(user.company_id)
        if not pbx or not pbx.sudo().softphone_websocket_url:
            return self.env._(
                "Browser phones are not set up on this company's PBX (its WebSocket address is empty): "
                "calls ring your desk phone. Tell a telephony manager."
            )
        return ""

    def action_telephony_rotate_sip_password(self):
        """A new SIP password for each of these browser phones; the old one stops working at once."""
        for user in self:
            if user != self.env.user and not (
                self.env.user.has_group(MANAGER_GROUP) and user.sudo().company_ids & self.env.companies
            ):
                raise AccessError(self.env._("Only you and a telephony manager may change your SIP password."))
            account = user.sudo()
            account.telephony_sip_password = _new_sip_password()
            if account.telephony_sip_provisioned:
                pbx = self.env["telephony.pbx"]._default_pbx(user.company_id)
                pbx._softphone_provision(user, account.telephony_sip_password)
        self._telephony_notify_softphone()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("SIP password changed"),
                "message": self.env._("Browsers signed in with the old password register again with the new one."),
                "type": "success",
                "next": {"type": "ir.actions.act_window_close"},
            },
        }


def _new_sip_password():
    return secrets.token_urlsafe(24)
