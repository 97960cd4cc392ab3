"""Browser phones: where they register on the PBX, and their accounts, provisioned over ARI.

Asterisk creates PJSIP objects at run time through ARI's dynamic configuration when sorcery keeps them in a
writable store (``astdb``; see the README's ``sorcery.conf``). With manual provisioning, a telephony manager
copies the account Odoo shows into ``pjsip.conf`` instead.
"""

from urllib.parse import urlsplit

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..pbx.ari import PbxForbidden
from ..tools.groups import MANAGER_GROUP
from .telephony_pbx_routing import caller_id_name

PJSIP_CONFIG = "res_pjsip"
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")
# A browser leg may be a participant of a room on several tabs at once; the PBX rings them all.
SOFTPHONE_MAX_CONTACTS = 5


class TelephonyPbx(models.Model):
    _inherit = "telephony.pbx"

    softphone_websocket_url = fields.Char(
        string="Browser Phones' WebSocket",
        groups=MANAGER_GROUP,
        help="SIP over WebSocket address where browsers register: Asterisk's HTTP server with "
        "res_pjsip_transport_websocket, e.g. wss://pbx.example.com:8089/ws (ws:// only on this machine). "
        "Empty: browser phones are off and every user calls from a desk phone.",
    )
    softphone_domain = fields.Char(
        string="SIP Domain",
        groups=MANAGER_GROUP,
        help="Domain of the users' SIP addresses (sip:201@domain). Empty: the WebSocket's host.",
    )
    softphone_provisioning = fields.Selection(
        [("ari", "By Odoo, over ARI"), ("manual", "By hand, in pjsip.conf")],
        string="Browser Phone Accounts",
        default="ari",
        required=True,
        groups=MANAGER_GROUP,
        help="By Odoo: Odoo creates, updates and deletes each browser phone's endpoint, AOR and auth through "
        "ARI's dynamic configuration (sorcery.conf must keep them in astdb). By hand: copy the account shown "
        "on the user's form into pjsip.conf.",
    )
    softphone_context = fields.Char(
        string="Browser Phones' Context",
        default="telephony-in",
        required=True,
        groups=MANAGER_GROUP,
        help="Dial plan context of the calls browsers place; the README's telephony-in sends them to Odoo.",
    )

    @api.constrains("softphone_websocket_url")
    def _check_softphone_websocket_url(self):
        for pbx in self.sudo():
            url = pbx.softphone_websocket_url
            if not url:
                continue
            parts = urlsplit(url)
            if parts.scheme not in ("ws", "wss") or not parts.hostname:
                raise ValidationError(
                    self.env._("%(url)s is not a WebSocket address: write wss://host:port/ws.", url=url)
                )
            if parts.scheme == "ws" and parts.hostname not in LOOPBACK_HOSTS:
                raise ValidationError(
                    self.env._(
                        "%(url)s is not encrypted: browsers refuse ws:// from an https page and the microphone "
                        "to an http one. Use wss:// (Asterisk's tlsenable in http.conf); ws:// is only for "
                        "this machine.",
                        url=url,
                    )
                )

    def _softphone_sip_domain(self):
        self.ensure_one()
        pbx = self.sudo()
        return pbx.softphone_domain or urlsplit(pbx.softphone_websocket_url or "").hostname or ""

    def _softphone_account(self, user, password):
        """The three PJSIP objects of ``user``'s browser phone, named after their extension."""
        self.ensure_one()
        extension = user.telephony_extension
        name = caller_id_name(user.name)
        return {
            "auth": {"auth_type": "userpass", "username": extension, "password": password},
            "aor": {"max_contacts": SOFTPHONE_MAX_CONTACTS, "remove_existing": "yes", "qualify_frequency": 30},
            "endpoint": {
                "webrtc": "yes",
                "context": self.sudo().softphone_context,
                "disallow": "all",
                "allow": "ulaw,alaw",
                "dtmf_mode": "rfc4733",
                "aors": extension,
                "auth": extension,
                "callerid": f'"{name}" <{extension}>' if name else f"<{extension}>",
            },
        }

    def _softphone_provision(self, user, password):
        """Create or update ``user``'s browser phone on the PBX (nothing to do when provisioned by hand)."""
        self.ensure_one()
        if self.sudo().softphone_provisioning != "ari":
            return

        extension = user.telephony_extension

        def provision(client):
            try:
                for object_type, values in self._softphone_account(user, password).items():
                    client.put_config_object(PJSIP_CONFIG, object_type, extension, values)
            except PbxForbidden as error:
                raise UserError(
                    self.env._(
                        "The PBX %(pbx)s may not store the browser phone of extension %(extension)s (%(error)s): "
                        "either its sorcery.conf keeps PJSIP endpoints only in pjsip.conf (see the README), or "
                        "%(extension)s is already defined in pjsip.conf (remove it there, or provision browser "
                        "phones by hand).",
                        pbx=self.display_name,
                        extension=extension,
                        error=self._pbx_error_text(error),
                    )
                ) from error

        self._call_pbx(provision)

    def _softphone_deprovision(self, extension):
        """Delete the browser phone of ``extension`` from the PBX: endpoint first, so it stops ringing."""
        self.ensure_one()
        if self.sudo().softphone_provisioning != "ari":
            return

        def deprovision(client):
            for object_type in ("endpoint", "aor", "auth"):
                client.delete_config_object(PJSIP_CONFIG, object_type, extension)

        self._call_pbx(deprovision)

    def _softphone_manual_config(self, user, password):
        """``user``'s account as pjsip.conf sections, for a PBX provisioned by hand."""
        self.ensure_one()
        sections = []
        for object_type, values in self._softphone_account(user, password).items():
            lines = [f"[{user.telephony_extension}]", f"type = {object_type}"]
            lines += [f"{key} = {value}" for key, value in values.items()]
            sections.append("\n".join(lines))
        return "\n\n".join(sections)
