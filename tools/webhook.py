"""Call events that a PBX without ARI posts as signed JSON: checking the signature, reading the payload.

Nothing here touches the database: the controller checks the request with these helpers, then
``telephony.pbx._apply_webhook_event`` records the event it gets back.
"""

import hashlib
import hmac
import json
import re
from datetime import datetime, timedelta, timezone

SIGNATURE_HEADER = "X-Telephony-Signature"
SIGNATURE_PATTERN = re.compile(r"sha256=([0-9a-fA-F]{64})")
MAX_BODY_BYTES = 16 * 1024
EVENTS = ("ringing", "answered", "hangup")
DIRECTIONS = ("inbound", "outbound")
# Q.850 causes, so a webhook hangup ends an unanswered call exactly as an ARI hangup does.
HANGUP_CAUSES = {"normal": 16, "busy": 17, "no_answer": 19, "failed": 34}
CALL_ID_PATTERN = re.compile(r"[\x21-\x7e]{1,128}")  # printable ASCII, no spaces: UUIDs, "1700000000.42", ...
NUMBER_PATTERN = re.compile(r"[0-9+*#(). -]{0,32}")
EXTENSION_PATTERN = re.compile(r"\d{1,16}")
MAX_TIMESTAMP_CHARS = 40
# A PBX may queue events while Odoo is down; an older or future stamp is a broken clock or a forgery.
OLDEST_EVENT = timedelta(days=30)
CLOCK_SKEW = timedelta(hours=1)
REQUIRED_FIELDS = ("call_id", "event", "direction", "from", "to")
OPTIONAL_FIELDS = ("timestamp", "extension", "cause")


class WebhookError(Exception):
    """A request the endpoint refuses: ``status`` is the HTTP answer, ``code`` a stable word for machines."""

    def __init__(self, status, code, message):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def signature(secret, body):
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_matches(secret, body, header):
    """Whether ``header`` is ``sha256=<hex HMAC-SHA256 of body keyed with secret>``, compared in constant time.

    Without a secret (unknown PBX, webhook turned off) a throwaway key is still hashed and compared, so the
    answer takes as long and says as little as for a wrong signature.
    """
    match = SIGNATURE_PATTERN.fullmatch(header or "")
    given = match.group(1).lower() if match else "0" * 64
    expected = signature(secret or _throwaway_key(), body)
    return hmac.compare_digest(expected.encode(), given.encode()) and bool(match and secret)


def _throwaway_key():
    return hashlib.sha256(b"telephony-webhook-without-secret").hexdigest()


def parse_event(body):
    """Return the event in ``body`` (bytes) as a dict of checked values, or raise a 400 WebhookError naming the
    field and what is wrong with it.

    The returned ``timestamp`` is a naive UTC datetime (as Odoo stores them) and ``cause`` a Q.850 code.
    """
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    try:
        payload = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise WebhookError(400, "invalid_json", f"The body is not valid UTF-8 JSON: {error}.") from error
    except RecursionError as error:
        raise WebhookError(400, "invalid_json", "The body nests JSON too deeply.") from error
    if not isinstance(payload, dict):
        raise WebhookError(400, "invalid_json", "The body must be a JSON object.")
    unknown = sorted(set(payload) - set(REQUIRED_FIELDS) - set(OPTIONAL_FIELDS))
    if unknown:
        raise _field_error(unknown[0], "unknown_field", "is not a field of a call event")
    for name in REQUIRED_FIELDS:
        if name not in payload:
            raise _field_error(name, "missing_field", "is required")
    for name in (*REQUIRED_FIELDS, *OPTIONAL_FIELDS):
        if name in payload and not isinstance(payload[name], str):
            raise _field_error(name, "invalid_field", "must be a string")
    event = {
        "call_id": _matching(payload, "call_id", CALL_ID_PATTERN, "must be 1 to 128 printable ASCII characters"),
        "event": _one_of(payload, "event", EVENTS),
        "direction": _one_of(payload, "direction", DIRECTIONS),
        "from": _number(payload, "from", required=False),
        "to": _number(payload, "to", required=True),
        "timestamp": _timestamp(payload.get("timestamp"), now),
        "extension": _matching(payload, "extension", EXTENSION_PATTERN, "must be the digits of an extension")
        if "extension" in payload
        else "",
        "cause": HANGUP_CAUSES[_one_of(payload, "cause", tuple(HANGUP_CAUSES))] if "cause" in payload else 0,
    }
    if event["cause"] and event["event"] != "hangup":
        raise _field_error("cause", "invalid_field", "is only for a hangup event")
    return event


def _field_error(name, code, reason):
    return WebhookError(400, code, f"Field '{name}' {reason}.")


def _matching(payload, name, pattern, reason):
    value = payload[name]
    if not pattern.fullmatch(value):
        raise _field_error(name, "invalid_field", reason)
    return value


def _number(payload, name, required):
    """A number as the PBX wrote it (the journal normalises it); ``from`` is empty when the caller hid it."""
    value = _matching(payload, name, NUMBER_PATTERN, "must be a phone number or an extension").strip()
    if required and not value:
        raise _field_error(name, "invalid_field", "must not be empty")
    return value


def _one_of(payload, name, allowed):
    value = payload[name]
    if value not in allowed:
        raise _field_error(name, "invalid_field", "must be one of " + ", ".join(allowed))
    return value


def _timestamp(value, now):
    """An ISO 8601 time with its time zone, as naive UTC; absent means now (the time the event arrives)."""
    if value is None:
        return now.replace(microsecond=0)
    try:
        if len(value) > MAX_TIMESTAMP_CHARS:
            raise ValueError(value)
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            raise _field_error("timestamp", "invalid_field", "must give its time zone (Z or +01:00)")
        moment = parsed.astimezone(timezone.utc).replace(tzinfo=None, microsecond=0)
    except (ValueError, OverflowError) as error:  # OverflowError: year 1 or 9999 shifted out of range to UTC
        raise _field_error(
            "timestamp", "invalid_field", "must be an ISO 8601 time such as 2026-11-22T10:00:00Z"
        ) from error
    if not now - OLDEST_EVENT <= moment <= now + CLOCK_SKEW:
        raise _field_error("timestamp", "invalid_field", "is more than 30 days old or more than an hour ahead")
    return moment
