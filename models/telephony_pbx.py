import logging

from odoo import api, fields, models

from ..pbx.ari import AriClient, PbxError

_logger = logging.getLogger(__name__)

MANAGER_GROUP = "telephony.group_telephony_manager"


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
    state = fields.Selection(
        [("unknown", "Not tested"), ("connected", "Connected"), ("error", "Error")],
        default="unknown",
        required=True,
        readonly=True,
        copy=False,
    )
    asterisk_version = fields.Char(readonly=True, copy=False)
    last_error = fields.Text(readonly=True, copy=False)
    last_error_date = fields.Datetime(string="Last Error On", readonly=True, copy=False)
    last_connected_date = fields.Datetime(string="Last Connected On", readonly=True, copy=False)

    _sql_constraints = [
        ("timeout_positive", "CHECK(timeout > 0)", "The PBX timeout must be a positive number of seconds."),
    ]

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

    def _record_connection_success(self, version):
        self.sudo().write(
            {"state": "connected", "asterisk_version": version, "last_connected_date": fields.Datetime.now()}
        )

    def _record_connection_error(self, error):
        self.sudo().write({"state": "error", "last_error": str(error), "last_error_date": fields.Datetime.now()})

    def action_test_connection(self):
        self.ensure_one()
        client = self._ari_client()
        try:
            info = client.asterisk_info()
        except PbxError as error:
            _logger.info("PBX %s: connection test failed: %s", self.display_name, error)
            self._record_connection_error(error)
            return self._notification(self.env._("Connection failed"), str(error), "danger")
        finally:
            client.close()
        version = (info.get("system") or {}).get("version") or self.env._("unknown version")
        self._record_connection_success(version)
        message = self.env._(
            "Asterisk %(version)s answered at %(url)s: ARI is enabled and accepted user %(user)s. "
            "Calls reach Odoo through the Stasis application %(app)s.",
            version=version,
            url=self.sudo().ari_url,
            user=self.sudo().ari_user,
            app=self.sudo().ari_app,
        )
        return self._notification(self.env._("Connection works"), message, "success")

    def _notification(self, title, message, kind):
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": title,
                "message": message,
                "type": kind,
                "sticky": kind == "danger",
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    @api.model
    def _default_pbx(self, company=None):
        company = company or self.env.company
        return self.sudo().search([("company_id", "=", company.id)], limit=1)
