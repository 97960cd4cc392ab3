import logging
import secrets

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from ..pbx.ari import (
    AriClient,
    AriDisabled,
    PbxAuthError,
    PbxError,
    PbxOriginateTimeout,
    PbxTimeout,
    PbxUnreachable,
)
from ..tools.groups import MANAGER_GROUP
from ..tools.webhook import SIGNATURE_HEADER

_logger = logging.getLogger(__name__)


class TelephonyPbx(models.Model):
    _name = "telephony.pbx"
    _description = "PBX Connection"
    _order = "sequence, id"

    name = fields.Char(required=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company)
    ari_url = fields.Char(
        string="ARI URL",
        required=True,
        default="http://127.0.0.1:8088",
        groups=MANAGER_GROUP,
        help="Base URL of Asterisk's HTTP server, the one that serves /ari (http.conf).",
    )
    ari_user = fields.Char(string="ARI User", required=True, default="telephony", groups=MANAGER_GROUP)
    ari_password = fields.Char(string="ARI Password", groups=MANAGER_GROUP, copy=False)
    ari_app = fields.Char(
        string="ARI Application",
        required=True,
        default="telephony",
        groups=MANAGER_GROUP,
        help="Name of the Stasis application the dial plan sends calls into: Stasis(<this name>).",
    )
    timeout = fields.Float(
        string="Timeout (s)",
        default=5.0,
        groups=MANAGER_GROUP,
        help="Longest wait for one answer of the PBX before the user is told it did not answer.",
    )
    internal_dial_template = fields.Char(
        string="Dial an Extension",
        required=True,
        default="PJSIP/{number}",
        groups=MANAGER_GROUP,
        help="ARI endpoint that rings an internal extension; {number} is replaced by the extension.",
    )
    external_dial_template = fields.Char(
        string="Dial an External Number",
        required=True,
        default="Local/{number}@from-internal",
        groups=MANAGER_GROUP,
        help="ARI endpoint that calls an outside number through your trunks; {number} is the E.164 number.",
    )
    listener_seen_date = fields.Datetime(
        string="Listener Last Heard",
        readonly=True,
        copy=False,
        help="Last moment the event listener knew this PBX's live calls (a heartbeat written every few seconds "
        "while its event stream is open). Calls that end while nobody listens are closed at this moment.",
    )
    webhook_secret = fields.Char(
        groups=MANAGER_GROUP,
        copy=False,
        readonly=True,
        help="Key of the HMAC-SHA256 signature a PBX without ARI puts on the call events it posts to the webhook "
        "URL. Without a secret the webhook is off and refuses every request.",
    )
    webhook_url = fields.Char(string="Webhook URL", compute="_compute_webhook_url", groups=MANAGER_GROUP)
    state = fields.Selection(
        [("unknown", "Not tested"), ("connected", "Connected"), ("error", "Error")],
        default="unknown",
        required=True,
        readonly=True,
        copy=False,
    )
    asterisk_version = fields.Char(readonly=True, copy=False)
    # The PBX's errors name its address and ARI user, which only managers read.
    last_error = fields.Text(readonly=True, copy=False, groups=MANAGER_GROUP)
    last_error_date = fields.Datetime(string="Last Error On", readonly=True, copy=False)
    last_connected_date = fields.Datetime(string="Last Connected On", readonly=True, copy=False)

    _sql_constraints = [
        ("timeout_positive", "CHECK(timeout > 0)", "The PBX timeout must be a positive number of seconds."),
    ]

    def _compute_webhook_url(self):
        for pbx in self:
            pbx.webhook_url = f"{pbx.get_base_url()}/telephony/webhook/{pbx.id}" if pbx.id else False

    def _ari_client(self):
        self.ensure_one()
        pbx = self.sudo()
        return AriClient(
            pbx.ari_url,
            pbx.ari_user,
            pbx.ari_password or "",
            app=pbx.ari_app,
            timeout=pbx.timeout,
        )

    def _call_pbx(self, operation):
        """Run ``operation(client)`` against this PBX; a PBX failure becomes an error the user can act on."""
        self.ensure_one()
        client = self._ari_client()
        try:
            return operation(client)
        except PbxError as error:
            _logger.warning("PBX %s refused or failed a request: %s", self.display_name, error)
            raise UserError(
                self.env._(
                    "The PBX %(pbx)s could not do it: %(error)s",
                    pbx=self.display_name,
                    error=self._describe_error(error),
                )
            ) from error
        finally:
            client.close()

    def _describe_error(self, error):
        """``error`` as the current user may read it: connection failures name the PBX's address and ARI
        user, which only managers read (``self`` is often sudo: the user, not the environment, decides)."""
        if self.env.user.has_group(MANAGER_GROUP) or not isinstance(
            error, (PbxUnreachable, PbxTimeout, PbxAuthError, AriDisabled)
        ):
            return self._pbx_error_text(error)
        if isinstance(error, PbxUnreachable):
            return self.env._("it cannot be reached. Tell a telephony manager.")
        seconds = f"{self.sudo().timeout:g}"
        if isinstance(error, PbxOriginateTimeout) and error.cancelled:
            return self.env._("it did not answer within %(seconds)s seconds; the call was cancelled.", seconds=seconds)
        if isinstance(error, PbxOriginateTimeout):
            return self.env._(
                "it did not answer within %(seconds)s seconds and could not be told to cancel the call: if the "
                "call happens after all, it shows in the journal once the PBX reports it.",
                seconds=seconds,
            )
        if isinstance(error, PbxTimeout):
            return self.env._(
                "it did not answer within %(seconds)s seconds. Tell a telephony manager.", seconds=seconds
            )
        return self.env._("it refused Odoo's connection. Tell a telephony manager.")

    def _pbx_error_text(self, error):
        """A PbxError in the user's language: pbx/ marks its English templates for Odoo's export."""
        return self.env._(error.template, **error.params)  # pylint: disable=translation-required

    def _endpoint_for(self, number, internal):
        self.ensure_one()
        template = self.sudo().internal_dial_template if internal else self.sudo().external_dial_template
        return template.format(number=number)

    def _record_connection_success(self, version):
        self.sudo().write(
            {"state": "connected", "asterisk_version": version, "last_connected_date": fields.Datetime.now()}
        )

    def _record_connection_error(self, error):
        """``error``: a PbxError, or a sentence already in the reader's language."""
        text = error if isinstance(error, str) else self._pbx_error_text(error)
        self.sudo().write({"state": "error", "last_error": text, "last_error_date": fields.Datetime.now()})

    def action_test_connection(self):
        self.ensure_one()
        if not self.env.user.has_group(MANAGER_GROUP):
            raise AccessError(
                self.env._("Only a telephony manager may test the connection to %(pbx)s.", pbx=self.display_name)
            )
        client = self._ari_client()
        try:
            info = client.asterisk_info()
        except PbxError as error:
            _logger.info("PBX %s: connection test failed: %s", self.display_name, error)
            self._record_connection_error(error)
            return self._notification(self.env._("Connection failed"), self._pbx_error_text(error), "danger")
        finally:
            client.close()
        version = (info.get("system") or {}).get("version") or self.env._("unknown version")
        self._record_connection_success(version)
        message = self.env._(
            "Asterisk %(version)s answered at %(url)s: ARI is enabled and accepted user %(user)s. "
            "Calls reach Odoo through the Stasis application %(app)s.",
            version=version,
            url=self.ari_url,
            user=self.ari_user,
            app=self.ari_app,
        )
        return self._notification(self.env._("Connection works"), message, "success")

    def action_generate_webhook_secret(self):
        """Turn the webhook on with a new secret; the PBX's old secret stops working at once."""
        self.ensure_one()
        self.webhook_secret = secrets.token_urlsafe(32)
        message = self.env._(
            "Have your PBX post its call events to %(url)s, signed with this secret in the %(header)s header "
            "(see the README). The secret is shown on this form.",
            url=self.webhook_url,
            header=SIGNATURE_HEADER,
        )
        return self._notification(self.env._("Webhook secret generated"), message, "success")

    def action_disable_webhook(self):
        self.ensure_one()
        self.webhook_secret = False
        return self._notification(
            self.env._("Webhook turned off"), self.env._("The webhook now refuses every request."), "warning"
        )

    def _notification(self, title, message, kind):
        # "Close" hands back to the form that pressed the button, which reloads the record it shows:
        # the one the button saved. "soft_reload" re-opened the record the form was first opened on
        # (another PBX, or a blank one, after "New"), and the next Save wrote into it.
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": title,
                "message": message,
                "type": kind,
                "sticky": kind == "danger",
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    @api.model
    def _default_pbx(self, company=None):
        company = company or self.env.company
        return self.sudo().search([("company_id", "=", company.id)], limit=1)
