import logging
import secrets

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..pbx.ari import AriClient, PbxError
from ..pbx.conference import PEER_SUFFIX, WAITING_EVENT, Forward
from ..tools.ari_events import event_channel_id
from ..tools.phone import to_e164
from ..tools.webhook import SIGNATURE_HEADER
from .telephony_conference_participant import LIVE_STATES

_logger = logging.getLogger(__name__)

MANAGER_GROUP = "telephony.group_telephony_manager"
WEBHOOK_PREFIX = "webhook-"


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
    last_error = fields.Text(readonly=True, copy=False)
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
                self.env._("The PBX %(pbx)s could not do it: %(error)s", pbx=self.display_name, error=error)
            ) from error
        finally:
            client.close()

    def _endpoint_for(self, number, internal):
        self.ensure_one()
        template = self.sudo().internal_dial_template if internal else self.sudo().external_dial_template
        return template.format(number=number)

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

    def _resolve_destination(self, called, caller):
        """Who a call to ``called`` from ``caller`` is for, as telephony.call values.

        An incoming number wins over an extension (a public number may end like an
        extension); a caller who is a user's extension makes the call internal.
        """
        self.ensure_one()
        values = {"direction": "inbound"}
        caller_user = self._user_with_extension(caller)
        if caller_user:
            values.update(direction="internal", user_id=caller_user.id, employee_id=caller_user.employee_id.id)
        incoming = self._incoming_number(called)
        if incoming:
            values["incoming_number_id"] = incoming.id
            if incoming.destination_type == "conference":
                values["conference_id"] = incoming.conference_id.id
            elif incoming.destination_type == "user":
                values.update(user_id=incoming.user_id.id, employee_id=incoming.user_id.employee_id.id)
            return values
        room = (
            self.env["telephony.conference"]
            .sudo()
            .search(
                [("extension", "=", called), ("kind", "=", "room"), ("company_id", "=", self.company_id.id)], limit=1
            )
        )
        if room:
            values["conference_id"] = room.id
            return values
        called_user = self._user_with_extension(called)
        if called_user:
            values.update(user_id=called_user.id, employee_id=called_user.employee_id.id)
        return values

    def _user_with_extension(self, number):
        if not number or not number.isdigit():
            return self.env["res.users"]
        return self.env["res.users"].sudo().search([("telephony_extension", "=", number)], limit=1)

    def _incoming_number(self, called):
        e164 = to_e164(called, self.company_id.country_id.code)
        if not e164:
            return self.env["telephony.incoming.number"]
        return (
            self.env["telephony.incoming.number"]
            .sudo()
            .search([("number", "=", e164), ("company_id", "=", self.company_id.id)], limit=1)
        )

    def _apply_ari_events(self, events):
        """Apply a batch of ARI events to the journal and the conferences, in the caller's transaction.

        Every effect is keyed by the PBX's channel id and only moves a record forward, so
        applying the same event twice changes nothing. Returns the conferences that changed.
        """
        self.ensure_one()
        pbx = self.sudo()
        channel_ids = list({channel_id for channel_id in map(event_channel_id, events) if channel_id})
        channel_ids += [channel_id.removesuffix(PEER_SUFFIX) for channel_id in channel_ids]
        calls = {
            call.pbx_unique_id: call
            for call in pbx.env["telephony.call"].search(
                [("pbx_id", "=", pbx.id), ("pbx_unique_id", "in", channel_ids)]
            )
        }
        participants = {
            participant.channel_id: participant
            for participant in pbx.env["telephony.conference.participant"].search(
                [("conference_id.pbx_id", "=", pbx.id), ("channel_id", "in", channel_ids)]
            )
        }
        changed = pbx.env["telephony.conference"]
        changed_calls = pbx.env["telephony.call"]
        for event in events:
            channel_id = event_channel_id(event)
            if not channel_id:
                continue
            if event["type"] == "StasisStart" and channel_id not in calls and channel_id not in participants:
                calls[channel_id] = pbx.env["telephony.call"]._ari_open_inbound_call(pbx, event)
            if event["type"] == WAITING_EVENT and channel_id not in participants:
                conference = pbx.env["telephony.conference"].browse(event["room_key"]).exists()
                if conference:
                    participants[channel_id] = pbx.env["telephony.conference.participant"]._ari_create_for_caller(
                        conference, event, "waiting"
                    )
                    changed |= conference
            if event["type"] == "ChannelEnteredBridge" and channel_id not in participants:
                conference = pbx.env["telephony.conference"]._from_bridge_id(event["bridge"]["id"])
                if conference:
                    participants[channel_id] = pbx.env["telephony.conference.participant"]._ari_create_for_caller(
                        conference, event, "joined", calls.get(channel_id)
                    )
                    changed |= conference
            if channel_id in calls and calls[channel_id]._ari_apply(event):
                changed_calls |= calls[channel_id]
            elif channel_id.endswith(PEER_SUFFIX) and channel_id.removesuffix(PEER_SUFFIX) in calls:
                call = calls[channel_id.removesuffix(PEER_SUFFIX)]
                if call._ari_apply(event, peer=True):
                    changed_calls |= call
            participant = participants.get(channel_id)
            if participant and participant._ari_apply(event):
                changed |= participant.conference_id
        changed._notify_participants()
        changed_calls._notify_user()
        return changed

    def _apply_webhook_event(self, event):
        """Record one checked webhook event (see tools/webhook.py) in the journal and pop it up for its user.

        Like an ARI channel, the PBX's call id keys the row and every event only moves the call forward, so a
        replayed or late event changes nothing; any event of a call not seen yet opens it. Returns the call,
        whether it changed, and warnings for the PBX about what it sent.
        """
        self.ensure_one()
        pbx = self.sudo().with_company(self.company_id)
        unique_id = WEBHOOK_PREFIX + event["call_id"]
        call = pbx.env["telephony.call"].search([("pbx_id", "=", pbx.id), ("pbx_unique_id", "=", unique_id)])
        warnings = []
        if call:
            changed = call._webhook_apply(event)
        else:
            values, warnings = pbx._webhook_call_values(event)
            call = pbx.env["telephony.call"].create({**values, "pbx_unique_id": unique_id})
            call._webhook_apply(event)
            changed = True
        if changed:
            call._notify_user()
        return call, changed, warnings

    def _webhook_call_values(self, event):
        """The journal values of a call first heard of through ``event``, and warnings about its extension."""
        caller, called = event["from"], event["to"]
        if event["direction"] == "inbound":
            values = self._resolve_destination(called, caller)
        else:
            values = {"direction": "outbound"}
            user = self._webhook_user(caller)
            values.update(user_id=user.id, employee_id=user.employee_id.id)
        warnings = []
        if event["extension"]:
            user = self._webhook_user(event["extension"])
            if user:
                values.update(user_id=user.id, employee_id=user.employee_id.id)
            else:
                warnings.append(f"Extension {event['extension']} belongs to no user of {self.company_id.name}.")
        return {
            **values,
            "pbx_id": self.id,
            "company_id": self.company_id.id,
            "caller_number": caller,
            "called_number": called,
            "start_date": event["timestamp"],
        }, warnings

    def _webhook_user(self, extension):
        if not extension.isdigit():
            return self.env["res.users"]
        return (
            self.env["res.users"]
            .sudo()
            .search([("telephony_extension", "=", extension), ("company_ids", "in", self.company_id.ids)], limit=1)
        )

    def _rebuild_live_state(self, channels, bridges):
        """Bring the journal and the rooms in line with the calls the PBX has live right now.

        Used when the listener (re)connects: whatever ended while nobody listened is closed,
        and whoever sits in a conference bridge is shown as joined. Returns who is still in a room
        or waiting for one, for the router to follow again.
        """
        self.ensure_one()
        pbx = self.sudo()
        now = fields.Datetime.now()
        channels_by_id = {channel["id"]: channel for channel in channels}
        bridge_of_channel = {
            channel_id: bridge["id"] for bridge in bridges for channel_id in bridge.get("channels") or []
        }
        participants = pbx.env["telephony.conference.participant"].search(
            [("conference_id.pbx_id", "=", pbx.id), ("state", "in", LIVE_STATES)]
        )
        changed = participants.conference_id
        for participant in participants:
            if participant.channel_id not in channels_by_id:
                participant._move_to("left" if participant.state in ("waiting", "joined") else "failed", now)
            elif participant.channel_id in bridge_of_channel:
                participant._move_to("joined", now)
        known = set(participants.mapped("channel_id"))
        for channel_id, bridge_id in bridge_of_channel.items():
            conference = pbx.env["telephony.conference"]._from_bridge_id(bridge_id)
            if conference and channel_id not in known and channel_id in channels_by_id:
                event = {"type": "ChannelEnteredBridge", "channel": channels_by_id[channel_id]}
                pbx.env["telephony.conference.participant"]._ari_create_for_caller(conference, event, "joined")
                changed |= conference
        open_calls = pbx.env["telephony.call"].search([("pbx_id", "=", pbx.id), ("end_date", "=", False)])
        for call in open_calls.filtered(lambda call: call.pbx_unique_id not in channels_by_id):
            call._close(now)
        changed._notify_participants()
        live = pbx.env["telephony.conference.participant"].search(
            [("conference_id.pbx_id", "=", pbx.id), ("state", "in", ("waiting", "joined"))]
        )
        return [
            (p.channel_id, p.conference_id._router_room(), p.number or "", p.state == "waiting", p.is_administrator)
            for p in live
        ]

    def _route_call(self, dialled, caller, outbound):
        """Where the listener's router sends a new call: a Room, a Forward, or None (hang up).

        Only a call an Odoo user placed (``outbound``) may leave for an outside number: a caller from
        outside never gets the company's trunks.
        """
        self.ensure_one()
        destination = self._resolve_destination(dialled, caller)
        conference = self.env["telephony.conference"].sudo().browse(destination.get("conference_id"))
        if conference:
            return conference._router_room()
        user = self.env["res.users"].sudo().browse(destination.get("user_id"))
        if user.telephony_extension and destination["direction"] != "internal":
            return Forward(self._endpoint_for(user.telephony_extension, internal=True), _caller_id(caller))
        if destination["direction"] == "internal":
            called_user = self._user_with_extension(dialled)
            if called_user:
                return Forward(self._endpoint_for(dialled, internal=True), _caller_id(caller))
        e164 = to_e164(dialled, self.company_id.country_id.code)
        if outbound and e164:
            return Forward(self._endpoint_for(e164, internal=False), _caller_id(caller))
        return None


def _caller_id(number):
    return f"<{number}>" if number else ""
