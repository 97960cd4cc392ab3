"""Calls the PBX took while no listener held the application, as the README's dialplan records them.

While the application is not active, Stasis() fails; the dialplan then sends the caller to a fallback and,
at hang-up, writes ``telephony_outage/<caller's channel id>`` into Asterisk's database (astdb)::

    <start epoch>,<end epoch>,<caller number>,<dialled number>,<DIALSTATUS>,<ANSWEREDTIME>

ARI may not read astdb (``DB()`` is a "dangerous" function), so the listener originates
``Local/drain@telephony-outage-drain``: its dialplan half (``<id>;2``) lists every record in the variable
``TELEPHONY_OUTAGE`` as ``key=value|key=value|``. Once a record is journaled, originating
``Local/<key>@telephony-outage-forget`` deletes it. What is recovered: who called, the number dialled, when
the call began and ended, whether the fallback answered and for how long. What is not: which phone of a
queue answered, DTMF, anything after a transfer.
"""

import logging
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone

from .ari import PbxError, _lt

_logger = logging.getLogger(__name__)

OUTAGE_CONTEXT = "telephony-outage"  # the README's context of callers sent to the fallback
CHANNEL_PREFIX = "telephony-outage-"  # ids of the drain and forget channels: not calls, never routed
DRAIN_ENDPOINT = "Local/drain@telephony-outage-drain"
FORGET_ENDPOINT = "Local/{key}@telephony-outage-forget"
RECORDS_VARIABLE = "TELEPHONY_OUTAGE"
DRAIN_WAIT_SECONDS = 3.0
ANSWERED = "ANSWER"


@dataclass(frozen=True)
class OutageCall:
    key: str  # the caller's channel id on the PBX
    start: datetime  # naive UTC, as Odoo stores datetimes
    end: datetime
    caller: str
    dialled: str
    dial_status: str  # Dial()'s DIALSTATUS: ANSWER, NOANSWER, BUSY, CANCEL, CONGESTION, CHANUNAVAIL or ""
    talk_seconds: int

    @property
    def answered(self):
        return self.dial_status == ANSWERED


def is_outage_channel(channel_id):
    return bool(channel_id) and channel_id.startswith(CHANNEL_PREFIX)


def read_outage_calls(client):
    """The calls recorded during listener outages, read through the drain channel (hung up afterwards)."""
    drain_id = f"{CHANNEL_PREFIX}drain-{uuid.uuid4().hex[:12]}"
    client.originate(DRAIN_ENDPOINT, channel_id=drain_id, timeout=int(DRAIN_WAIT_SECONDS) + 2)
    try:
        records = _wait_for_records(client, drain_id)
    finally:
        client.hangup_if_present(drain_id)
    return parse_records(records)


def _wait_for_records(client, drain_id):
    """The drain's dialplan sets the records, then answers: read them once the drain channel is up."""
    deadline = time.monotonic() + DRAIN_WAIT_SECONDS
    while True:
        if client.get_channel(drain_id).get("state") == "Up":
            return client.get_variable(f"{drain_id};2", RECORDS_VARIABLE)
        if time.monotonic() > deadline:
            raise PbxError(
                _lt("%(endpoint)s did not answer within %(seconds)s s: is it in the dialplan?"),
                endpoint=DRAIN_ENDPOINT,
                seconds=f"{DRAIN_WAIT_SECONDS:.0f}",
            )
        time.sleep(0.05)


def forget_outage_call(client, key):
    """Delete one journaled record from astdb (the forget channel never answers)."""
    client.originate(FORGET_ENDPOINT.format(key=key), channel_id=f"{CHANNEL_PREFIX}forget-{key}", timeout=1)


def parse_records(records):
    """``key=start,end,caller,dialled,status,talk|...`` -> OutageCall list; malformed records are skipped
    with a warning naming them."""
    calls = []
    for record in filter(None, (records or "").split("|")):
        key, _, value = record.partition("=")
        fields = value.split(",")
        try:
            start, end = (_epoch(stamp) for stamp in fields[:2])
            caller, dialled, status = fields[2:5]
            talk = int(fields[5]) if len(fields) > 5 and fields[5] else 0
        except ValueError:
            _logger.warning("Skipped an outage record that is not start,end,caller,dialled,status,talk: %r", record)
            continue
        calls.append(OutageCall(key, start, max(start, end), caller, dialled, status, talk))
    return calls


def _epoch(stamp):
    return datetime.fromtimestamp(int(stamp), timezone.utc).replace(tzinfo=None)
