"""Call recordings: what the PBX recorded, fetched into Odoo's filestore, then deleted from the PBX.

The listener journals a recording from the PBX's events (pbx/recording.py names each recording after its call,
or its room's bridge); fetching the file is slow I/O, so it happens in a cron (``Fetch call recordings``), started
at once when a recording ends and run again later for those that failed. A file is deleted from the PBX only once
Odoo has it: stored as an attachment, its size and its WAV header checked, its checksum recorded, and the
transaction committed. Files older than the company's retention are deleted by a daily cron.
"""

import hashlib
import io
import logging
import wave
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.modules import module as odoo_module
from odoo.tools import html2plaintext

from ..pbx.ari import PbxError
from ..pbx.calls import recording_subject
from ..pbx.recording import RECORDING_ENDED_REPORT
from ..tools.ari_events import event_datetime
from ..tools.groups import MANAGER_GROUP

_logger = logging.getLogger(__name__)

RECORDING_EVENTS = ("RecordingStarted", "RecordingFinished", "RecordingFailed", RECORDING_ENDED_REPORT)
FINISHED_EVENTS = ("RecordingFinished", RECORDING_ENDED_REPORT)
# A recording still "recording" this long after it started is asked for: its end may have been lost.
STALE_CHECK_AFTER = timedelta(minutes=1)
PLAYBACK_LOG_MINUTES = 10  # one listener's requests from the first byte within this time are one playback
RETRY_DELAYS_MINUTES = (1, 5, 15, 60, 240)  # then every 240 minutes, for as long as the PBX keeps the file
WAV_FORMAT = (1, 2, 8000)  # what Asterisk's "wav" writes: mono, 16-bit, 8 kHz
RECORDING_POLICIES = [("never", "Never"), ("always", "Always"), ("on_demand", "On Demand")]
POLICY_HELP = (
    "Always: every call is recorded from the moment it is connected. On Demand: the user starts and stops the "
    "recording from the VoIP widget. The most specific setting applies: room, then incoming number, then user, "
    "then company."
)


class TelephonyRecording(models.Model):
    _name = "telephony.recording"
    _description = "Call Recording"
    _order = "start_date desc, id desc"
    _check_company_auto = True
    _rec_name = "name"

    name = fields.Char(string="PBX Recording Name", required=True, readonly=True)
    pbx_id = fields.Many2one("telephony.pbx", string="PBX", required=True, readonly=True, ondelete="restrict")
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    call_id = fields.Many2one(
        "telephony.call",
        string="Phone Call",
        readonly=True,
        index="btree_not_null",
        ondelete="cascade",
        check_company=True,
    )
    conference_id = fields.Many2one(
        "telephony.conference",
        string="Room",
        readonly=True,
        index="btree_not_null",
        ondelete="cascade",
        check_company=True,
        help="A room's session is recorded once, for all its participants: the recording belongs to the room.",
    )
    state = fields.Selection(
        [
            ("recording", "Recording"),
            ("to_fetch", "To Fetch"),
            ("stored", "Stored"),
            ("fetch_failed", "Fetch Failed"),
            ("failed", "Not Recorded"),
            ("deleted", "Deleted"),
        ],
        required=True,
        default="recording",
        readonly=True,
        index=True,
    )
    start_date = fields.Datetime(string="Started On", readonly=True)
    end_date = fields.Datetime(string="Ended On", readonly=True)
    duration = fields.Integer(readonly=True, help="Length of the stored audio, in seconds.")
    file_size = fields.Integer(string="Size (bytes)", readonly=True)
    checksum = fields.Char(string="SHA-256", readonly=True, help="SHA-256 of the file as the PBX served it.")
    attachment_id = fields.Many2one("ir.attachment", readonly=True, ondelete="set null")
    fetch_attempts = fields.Integer(readonly=True)
    next_fetch_date = fields.Datetime(readonly=True)
    last_error = fields.Text(readonly=True)
    player_url = fields.Char(compute="_compute_player_url", help="Where the browser plays the stored file.")
    pbx_deleted = fields.Boolean(
        string="Deleted from the PBX", readonly=True, help="The PBX's copy was deleted once Odoo had stored it."
    )

    _sql_constraints = [
        ("pbx_name_uniq", "UNIQUE(pbx_id, name)", "The PBX reported this recording twice."),
    ]

    @api.depends("state")
    def _compute_player_url(self):
        for recording in self:
            recording.player_url = f"/telephony/recording/{recording.id}" if recording.state == "stored" else False

    # ------------------------------------------------------------------
    # Events from the PBX
    # ------------------------------------------------------------------

    @api.model
    def _apply_pbx_events(self, pbx, events):
        """Apply RecordingStarted/Finished/Failed and the router's TelephonyRecordingEnded, in the listener's
        transaction. Keyed by the recording's name on its PBX; an event only moves a recording forward, so a
        replayed event changes nothing. Returns the recordings that changed."""
        names = [(event.get("recording") or {}).get("name") for event in events]
        known = {r.name: r for r in self.search([("pbx_id", "=", pbx.id), ("name", "in", [n for n in names if n])])}
        changed = self.browse()
        for event, name in zip(events, names, strict=True):
            if not name:
                continue
            recording = known.get(name)
            if recording is None:
                values = self._values_of_new(pbx, name, event)
                if values is None:
                    continue
                recording = known[name] = self.create(values)
                changed |= recording
            if recording._apply_event(event):
                changed |= recording
        if changed.filtered(lambda r: r.state == "to_fetch"):
            self.env.ref("telephony.ir_cron_telephony_fetch_recordings")._trigger()
        changed.call_id._notify_user()
        # A room's window shows whether the room is being recorded.
        changed.conference_id._notify_participants()
        return changed

    @api.model
    def _values_of_new(self, pbx, name, event):
        """A recording first heard of: its call (or room) from its name; None for one this application did not
        name (nothing to journal it on)."""
        subject = recording_subject(name)
        if not subject:
            return None
        call = self.env["telephony.call"].search([("pbx_id", "=", pbx.id), ("pbx_unique_id", "=", subject)], limit=1)
        conference = self.env["telephony.conference"].browse()
        if not call:
            # A room's bridge id holds no PBX: only a room of this PBX is recorded by it.
            conference = (
                self.env["telephony.conference"]._from_bridge_id(subject).filtered(lambda room: room.pbx_id == pbx)
            )
            if not conference:
                return None
        return {
            "name": name,
            "pbx_id": pbx.id,
            "company_id": pbx.company_id.id,
            "call_id": call.id,
            "conference_id": conference.id,
            "start_date": event_datetime(event),
        }

    def _apply_event(self, event):
        self.ensure_one()
        kind = event.get("type")
        if self.state != "recording" or kind == "RecordingStarted":
            return False
        when = event_datetime(event)
        if kind in FINISHED_EVENTS:
            self.write({"state": "to_fetch", "end_date": when, "next_fetch_date": fields.Datetime.now()})
        else:
            cause = (event.get("recording") or {}).get("cause")
            self.write({"state": "failed", "end_date": when, "last_error": self._failure_text(cause)})
        return True

    def _failure_text(self, cause):
        """Why the PBX stopped recording, for managers to read: in the company's language (the listener that
        applies the event writes in nobody's), with Asterisk's own words for the cause."""
        env = self.with_context(lang=self.company_id.partner_id.lang or self.env.lang).env
        return env._("The PBX stopped the recording: %(cause)s", cause=cause or env._("it gave no reason"))

    # ------------------------------------------------------------------
    # Fetching
    # ------------------------------------------------------------------

    @api.model
    def _cron_fetch_recordings(self):
        """Fetch the recordings that ended, retry those that failed when due, finish what a crash left half done
        (stored but still on the PBX), and ask the PBX about recordings whose end may have been lost."""
        now = fields.Datetime.now()
        self._check_stale_recordings(now)
        due = self.search([("state", "in", ("to_fetch", "fetch_failed")), ("next_fetch_date", "<=", now)])
        for recording in due:
            # What a failed fetch stores is read later by any manager: in the company's language, not the cron's.
            recording.with_context(lang=recording.company_id.partner_id.lang or self.env.lang)._fetch()
        self.search([("state", "in", ("stored", "deleted")), ("pbx_deleted", "=", False)])._delete_from_pbx()
        retry = self.search([("state", "=", "fetch_failed")], order="next_fetch_date", limit=1)
        if retry:
            self.env.ref("telephony.ir_cron_telephony_fetch_recordings")._trigger(retry.next_fetch_date)

    @api.model
    def _check_stale_recordings(self, now):
        stale = self.search([("state", "=", "recording"), ("start_date", "<", now - STALE_CHECK_AFTER)])
        for pbx, recordings in stale.grouped("pbx_id").items():
            try:
                names = recordings.mapped("name")
                live = pbx._call_pbx_quietly(lambda client, names=names: _still_live(client, names))
            except PbxError as error:
                _logger.info("PBX %s: could not ask which recordings still run: %s", pbx.display_name, error)
                continue
            recordings.filtered(lambda r, live=live: r.name not in live).write(
                {"state": "to_fetch", "end_date": now, "next_fetch_date": now}
            )

    def _fetch(self):
        """Fetch one recording's file into the filestore; on success (committed), delete it from the PBX."""
        self.ensure_one()
        try:
            data = self.pbx_id._call_pbx_quietly(lambda client: client.stored_recording_file(self.name))
            seconds = self._checked_wav(data)
        except PbxError as error:
            self._fetch_failed(self.pbx_id._pbx_error_text(error))
            return False
        except ValueError as error:
            self._fetch_failed(str(error))
            return False
        attachment = (
            self.env["ir.attachment"]
            .sudo()
            .create(
                {
                    "name": f"{self.name}.wav",
                    "raw": data,
                    "mimetype": "audio/wav",
                    "res_model": self._name,
                    "res_id": self.id,
                }
            )
        )
        checksum = hashlib.sha256(data).hexdigest()
        if attachment.file_size != len(data) or hashlib.sha256(attachment.raw).hexdigest() != checksum:
            attachment.unlink()
            self._fetch_failed(self.env._("The file stored in Odoo differs from the file the PBX sent."))
            return False
        self.write(
            {
                "state": "stored",
                "attachment_id": attachment.id,
                "file_size": len(data),
                "checksum": checksum,
                "duration": round(seconds),
                "last_error": False,
                "next_fetch_date": False,
            }
        )
        self._commit()
        self._delete_from_pbx()
        return True

    def _fetch_failed(self, error):
        attempts = self.fetch_attempts + 1
        delay = RETRY_DELAYS_MINUTES[min(attempts, len(RETRY_DELAYS_MINUTES)) - 1]
        _logger.warning("Recording %s: fetch %d failed: %s", self.name, attempts, error)
        self.write(
            {
                "state": "fetch_failed",
                "fetch_attempts": attempts,
                "last_error": error,
                "next_fetch_date": fields.Datetime.now() + timedelta(minutes=delay),
            }
        )
        self._commit()

    def _delete_from_pbx(self):
        """Delete the PBX's copies of files Odoo stored (in committed transactions: see _fetch)."""
        for recording in self:
            try:
                recording.pbx_id._call_pbx_quietly(lambda client, r=recording: client.delete_stored_recording(r.name))
            except PbxError as error:
                _logger.warning(
                    "Recording %s is stored in Odoo; deleting it from the PBX failed: %s", recording.name, error
                )
                continue
            recording.pbx_deleted = True

    def _commit(self):
        """Crons commit what they did so far: a file is deleted from the PBX only after Odoo committed it."""
        if not odoo_module.current_test:
            # The commit is the guarantee itself: the PBX's copy goes only once Odoo's is durable.
            self.env.cr.commit()  # pylint: disable=invalid-commit

    def action_retry_fetch(self):
        """Fetch the failed recordings again at once (in the cron: the download may take time)."""
        if not self.env.user.has_group(MANAGER_GROUP):
            raise AccessError(self.env._("Only a telephony manager may fetch recordings again."))
        self.filtered(lambda r: r.state == "fetch_failed").sudo().write({"next_fetch_date": fields.Datetime.now()})
        self.env.ref("telephony.ir_cron_telephony_fetch_recordings").sudo()._trigger()

    # ------------------------------------------------------------------
    # Retention and playback
    # ------------------------------------------------------------------

    @api.model
    def _cron_delete_expired_recordings(self):
        """Delete the files of recordings older than their company's retention, and say so on their call."""
        for company in self.env["res.company"].search([("telephony_recording_retention_days", ">", 0)]):
            limit = fields.Datetime.now() - timedelta(days=company.telephony_recording_retention_days)
            expired = self.search([("company_id", "=", company.id), ("state", "=", "stored"), ("end_date", "<", limit)])
            for recording in expired:
                recording._delete_file(company.telephony_recording_retention_days)

    def _delete_file(self, days):
        self.ensure_one()
        self.attachment_id.sudo().unlink()
        self.write({"state": "deleted", "file_size": 0})
        target = self.call_id or self.conference_id
        target.sudo()._message_log(
            body=self.env._(
                "Recording %(name)s deleted: it was older than the company keeps recordings (%(days)s days).",
                name=self.name,
                days=days,
            )
        )

    def _log_playback(self, download):
        """Write who listened to (or downloaded) this recording on its call or room, as the one who did. A player
        asks for the file from its first byte again when it reloads what it already plays: the same listener within
        ``PLAYBACK_LOG_MINUTES`` is the same playback."""
        self.ensure_one()
        target = (self.call_id or self.conference_id).sudo()
        if download:
            message = self.env._("Recording %(name)s downloaded by %(user)s.", name=self.name, user=self.env.user.name)
        else:
            message = self.env._("Recording %(name)s played by %(user)s.", name=self.name, user=self.env.user.name)
            if self._played_lately(target, message):
                return
        target._message_log(body=message, author_id=self.env.user.partner_id.id)

    def _played_lately(self, target, message):
        # Only the lines this log wrote count: whoever reads a call may post on it, and a comment saying the same
        # words is theirs to rewrite afterwards (a playback it stood for would be noted nowhere).
        since = fields.Datetime.now() - timedelta(minutes=PLAYBACK_LOG_MINUTES)
        lately = (
            self.env["mail.message"]
            .sudo()
            .search(
                [
                    ("model", "=", target._name),
                    ("res_id", "=", target.id),
                    ("author_id", "=", self.env.user.partner_id.id),
                    ("message_type", "=", "notification"),
                    ("date", ">=", since),
                    ("body", "ilike", self.name),
                ]
            )
        )
        return any(html2plaintext(logged.body).strip() == message for logged in lately)

    def _checked_wav(self, data):
        """The length in seconds of a WAV file as Asterisk writes it; ValueError when it is not one, or is cut."""
        try:
            with wave.open(io.BytesIO(data)) as audio:
                shape = (audio.getnchannels(), audio.getsampwidth(), audio.getframerate())
                frames = audio.getnframes()
                samples = audio.readframes(frames)
        except (wave.Error, EOFError) as error:
            raise ValueError(
                self.env._("The PBX sent a file that is not a WAV recording (%(error)s).", error=error)
            ) from error
        if shape != WAV_FORMAT:
            raise ValueError(
                self.env._(
                    "The PBX sent a recording in another format than 8 kHz 16-bit mono WAV: %(shape)s "
                    "(channels, bytes per sample, rate).",
                    shape=shape,
                )
            )
        if len(samples) != frames * shape[0] * shape[1]:
            raise ValueError(
                self.env._(
                    "The PBX sent a cut recording: its header announces %(frames)s samples, the file holds %(held)s.",
                    frames=frames,
                    held=len(samples) // 2,
                )
            )
        return frames / shape[2]


def _still_live(client, names):
    return {name for name in names if client.get_live_recording(name) is not None}
