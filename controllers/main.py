import logging
import random
import time

from psycopg2 import errors
from werkzeug.exceptions import BadRequest

from odoo import SUPERUSER_ID, http
from odoo.http import request

from ..tools.webhook import MAX_BODY_BYTES, SIGNATURE_HEADER, WebhookError, parse_event, signature_matches

_logger = logging.getLogger(__name__)

# Two deliveries of one event at once: the second insert of the call meets the first one's row, or two updates
# of one row collide. A fresh transaction then sees the other's work, and the event applies (or not) on top of it.
CONCURRENCY_ERRORS = (
    errors.UniqueViolation,
    errors.SerializationFailure,
    errors.DeadlockDetected,
    errors.LockNotAvailable,
)
ATTEMPTS = 3
UNAUTHORIZED_MESSAGE = (
    f"Unknown PBX, webhook turned off or wrong signature: send {SIGNATURE_HEADER}: sha256=<hex HMAC-SHA256 of the "
    "raw body keyed with the PBX's webhook secret>."
)


class TelephonyWebhook(http.Controller):
    @http.route(
        "/telephony/webhook/<int:pbx_id>",
        type="http",
        auth="none",
        csrf=False,
        save_session=False,
        readonly=False,  # auth="none" routes default to a read-only transaction; this one writes the journal
    )
    def telephony_webhook(self, pbx_id, **_query):
        """Call events of a PBX that cannot use ARI (a cloud PBX, a webhook-only system), one JSON object a request.

        ``POST /telephony/webhook/<pbx id>`` with ``Content-Type: application/json`` and the header
        ``X-Telephony-Signature: sha256=<hex>``, the HMAC-SHA256 of the raw body keyed with the PBX's webhook
        secret (*Generate a Webhook Secret* on the PBX form). The body, at most 16 KiB::

            {"call_id": "abc",                    required, 1-128 printable ASCII characters, the PBX's call id
             "event": "ringing",                  required: ringing | answered | hangup
             "direction": "inbound",              required: inbound | outbound
             "from": "+33612345678",              required, a number or an extension; "" when withheld
             "to": "201",                         required, a number or an extension
             "timestamp": "2026-11-22T10:00:00Z", optional, ISO 8601 with a time zone, default: on arrival
             "extension": "201",                  optional, the extension of the user the call is for
             "cause": "busy"}                     optional, hangup only: normal | busy | no_answer | failed

        Events of one call may come in any order and more than once: the call id keys the journal row, and an
        event only ever moves the call forward. Answers are JSON: 200 ``{"status": "ok", "call_id", "state",
        "changed", "warnings"}``; otherwise ``{"error": <code>, "message": <what is wrong>}`` with 400 (bad JSON or
        a bad field, named), 401 (unknown PBX, webhook off, missing or wrong signature: one answer for all),
        405 (not a POST), 411 (no Content-Length), 413 (body too large), 415 (not JSON) or 503 (retry later).

        Concurrent deliveries of one call may clash in the database: the event is then applied again in a fresh
        transaction, up to three times, before a 503.
        """
        try:
            return self._answer(pbx_id)
        except WebhookError as error:
            return _error_response(error)
        except Exception:
            _logger.exception("Telephony webhook of PBX %s failed", pbx_id)
            request.env.cr.rollback()
            return _error_response(WebhookError(503, "unavailable", "Odoo could not record the event: retry later."))

    def _answer(self, pbx_id):
        # Checked here rather than with the route's ``methods``, for which werkzeug answers in HTML.
        if request.httprequest.method != "POST":
            raise WebhookError(405, "method_not_allowed", "Post the event: only POST is allowed.")
        if request.httprequest.mimetype != "application/json":
            raise WebhookError(415, "unsupported_media_type", "Send the event with Content-Type: application/json.")
        body = _read_body()
        if not signature_matches(_webhook_secret(pbx_id), body, request.httprequest.headers.get(SIGNATURE_HEADER)):
            raise WebhookError(401, "unauthorized", UNAUTHORIZED_MESSAGE)
        event = parse_event(body)
        env = request.env(user=SUPERUSER_ID)
        call, changed, warnings = _apply_with_retries(env["telephony.pbx"].browse(pbx_id), event)
        return request.make_json_response(
            {"status": "ok", "call_id": event["call_id"], "state": call.state, "changed": changed, "warnings": warnings}
        )


def _read_body():
    """The raw body, refused unread when its Content-Length is over the limit.

    The WSGI stream never yields more than Content-Length, so a lying client cannot make Odoo read more. (The
    route sets no ``max_content_length``: werkzeug would answer an oversized body itself, in HTML.)
    """
    length = request.httprequest.content_length
    if length is None:
        raise WebhookError(411, "length_required", "Send a Content-Length header; chunked bodies are refused.")
    if length > MAX_BODY_BYTES:
        raise WebhookError(413, "too_large", f"The body has {length} bytes; the limit is {MAX_BODY_BYTES}.")
    try:
        body = request.httprequest.get_data(cache=False)
    except BadRequest as error:
        raise WebhookError(400, "unreadable_body", "The body ended before its Content-Length.") from error
    if len(body) > MAX_BODY_BYTES:  # a server that sets wsgi.input_terminated hands over its raw stream
        raise WebhookError(413, "too_large", f"The body is over the limit of {MAX_BODY_BYTES} bytes.")
    return body


def _webhook_secret(pbx_id):
    """The secret of an active PBX, False when there is none: the one read made before the caller is known."""
    pbx = request.env(user=SUPERUSER_ID)["telephony.pbx"].search([("id", "=", pbx_id)])
    return pbx.webhook_secret


def _apply_with_retries(pbx, event):
    """Apply ``event``; on a clash with a concurrent delivery, roll back and apply it again on what that one wrote."""
    cr = pbx.env.cr
    for attempt in range(1, ATTEMPTS + 1):
        try:
            result = pbx._apply_webhook_event(event)
            cr.flush()
            return result
        except CONCURRENCY_ERRORS as error:
            _logger.info("Telephony webhook: call %s clashed with a concurrent event (%s)", event["call_id"], error)
            cr.rollback()
            pbx.env.reset()
            time.sleep(random.uniform(0, 0.05 * attempt))
    raise WebhookError(503, "busy", "Other events of this call are being recorded: retry later.")


def _error_response(error):
    headers = {
        401: {"WWW-Authenticate": f'HMAC-SHA256 header="{SIGNATURE_HEADER}"'},
        405: {"Allow": "POST"},
    }.get(error.status)
    return request.make_json_response(
        {"error": error.code, "message": error.message}, headers=headers, status=error.status
    )
