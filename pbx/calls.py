"""What the call router follows: rooms, forwards, the legs of calls, and how the legs are named.

A two-party conversation is keyed by its first channel, ``K`` (a caller the dial plan sent in, or the phone of a
user who placed the call from Odoo); the journal keys its row with ``K`` too. Every other leg the router places for
it is named after ``K``, so that the journal and a restarted router tell which conversation a channel belongs to
from its id alone: ``K-peer`` (the phone rung for the caller), ``K-xfer-<hex>`` (a blind transfer's target, or the
transferring user rung back when that target fails) and ``K-consult-<hex>`` (the target a user consults before
an attended transfer; also the key of that consultation's own journal row). Both ends of ``K`` talk in the bridge
``call-K``; a consultation in ``call-K-consult-<hex>``.

A recording is named after what it records: ``K-rec-<hex>`` for the bridge of conversation ``K`` (it goes on
through transfers, the bridge staying ``call-K``), ``<room bridge id>-rec-<hex>`` for a room's session; so the
journal finds the call or the room from the recording's name alone, also after a restart of the listener.
"""

from dataclasses import dataclass

PEER_SUFFIX = "-peer"
TRANSFER_LEG = "-xfer-"
CONSULT_LEG = "-consult-"
CALL_BRIDGE_PREFIX = "call-"
RECORDING_MARK = "-rec-"
# Recording policies: "" never, "always" from the moment the bridge forms, "on_demand" when a user asks.
RECORD_ALWAYS = "always"
RECORD_ON_DEMAND = "on_demand"


@dataclass
class Room:
    """What the router needs to know of a conference."""

    key: int
    bridge_id: str
    access_code: str = ""
    wait_for_administrator: bool = False
    administrator_numbers: frozenset = frozenset()
    recording: str = ""  # the room's recording policy (see RECORD_ALWAYS)
    announcement: str = ""  # media played to the room before it is recorded ("sound:conf-now-recording"), "" none


@dataclass
class Forward:
    """Connect the caller to one other endpoint (a user's phone, an outside number)."""

    endpoint: str
    caller_id: str = ""
    recording: str = ""  # the call's recording policy (see RECORD_ALWAYS)
    announcement: str = ""  # media both parties hear before the call is recorded, "" none


@dataclass
class Caller:
    channel_id: str
    room: Room | None = None
    number: str = ""
    is_administrator: bool = False
    state: str = "new"  # new, code, waiting, bridged, ringing (a leg we rang), forwarding, consulting, ended
    digits: str = ""
    tries: int = 0
    peer_id: str = ""
    answered_at: float = 0.0  # when we answered this channel (epoch seconds); 0 if we did not
    name: str = ""  # the caller's display name, shown to whoever the call is transferred to
    call_key: str = ""  # the conversation (journal row) this leg belongs to now
    bridge_id: str = ""  # the bridge it talks to its peer in
    role: str = ""  # "transfer" (a leg rung to take over a call), "consult" (a consulted target), or ""
    recall: str = ""  # a transfer leg: the extension to ring back should it fail ("" once rung back)
    returning: bool = False  # a transfer leg ringing the transferring user back
    held: bool = False  # put on hold by the router
    recording: str = ""  # the recording policy of the call this leg placed or received
    announcement: str = ""


def conversation_key(channel_id):
    """The conversation a leg belongs to, from its id: ``K`` for ``K``, ``K-peer``, ``K-xfer-…`` and
    ``K-consult-…``."""
    for mark in (TRANSFER_LEG, CONSULT_LEG):
        if mark in channel_id:
            return channel_id.split(mark, 1)[0]
    return channel_id.removesuffix(PEER_SUFFIX)


def call_bridge_id(key):
    """The bridge both ends of conversation ``key`` (or of the consultation ``key``) talk in."""
    return f"{CALL_BRIDGE_PREFIX}{key}"


def recording_name(subject, serial):
    """The name of a recording of ``subject`` (a conversation key, or a room's bridge id)."""
    return f"{subject}{RECORDING_MARK}{serial}"


def recording_subject(name):
    """What a recording records, from its name: the conversation key or the room's bridge id ("" for a
    recording this application did not name)."""
    subject, mark, _serial = name.rpartition(RECORDING_MARK)
    return subject if mark else ""
