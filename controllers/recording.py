"""Playing and downloading call recordings, as the logged-in user: the recording's record rules decide."""

from werkzeug.exceptions import NotFound

from odoo import http
from odoo.exceptions import AccessError, MissingError
from odoo.http import request


class TelephonyRecordingController(http.Controller):
    @http.route("/telephony/recording/<int:recording_id>", type="http", auth="user", readonly=False)
    def telephony_recording(self, recording_id, download=False, **_query):
        """The recording's file, with HTTP Range (an audio element seeks with it). Who may not read the
        recording gets the same 404 as for one that does not exist. A playback or download is logged once on the
        call: on the request that starts at the first byte, not on every range the player asks for next."""
        recording = request.env["telephony.recording"].browse(recording_id)
        try:
            recording.check_access("read")
            stored = recording.state == "stored"
        except (AccessError, MissingError):
            raise NotFound() from None
        if not stored:
            raise NotFound()
        download = download in ("1", "true")
        stream = request.env["ir.binary"]._get_stream_from(recording.sudo().attachment_id, "raw")
        response = stream.get_response(as_attachment=download)
        if _serves_first_byte(response):
            recording._log_playback(download)
        return response


def _serves_first_byte(response):
    """Whether the answer holds the file from its first byte. Decided on what is served, not on the Range asked
    for: werkzeug reads ranges its own way (``bytes=00-``, ``BYTES=0-``) and serves the whole file for an If-Range
    that does not match."""
    if response.status_code == 200:
        return True
    return response.status_code == 206 and response.content_range.start == 0
