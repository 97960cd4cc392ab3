"""Reading ARI event payloads (Asterisk's JSON) into the values Odoo stores."""

from datetime import datetime, timezone

BUSY_CAUSES = {17, 21}  # user busy, call rejected


def event_datetime(event):
    """Return the event's timestamp as a naive UTC datetime, as Odoo stores datetimes."""
    try:
        parsed = datetime.strptime(event.get("timestamp") or "", "%Y-%m-%dT%H:%M:%S.%f%z")
    except ValueError:
        # A PBX that sends no usable time still reports a real call: keep it, stamped on arrival.
        parsed = datetime.now(timezone.utc)
    return parsed.astimezone(timezone.utc).replace(tzinfo=None, microsecond=0)


def event_channel_id(event):
    return (event.get("channel") or {}).get("id")


def dialled_number(event):
    """The number a caller dialled: the first Stasis argument, else the dialplan extension."""
    args = event.get("args") or []
    if args and args[0]:
        return str(args[0])
    return ((event.get("channel") or {}).get("dialplan") or {}).get("exten") or ""


def caller_number(event):
    return ((event.get("channel") or {}).get("caller") or {}).get("number") or ""


def hangup_cause(event):
    cause = event.get("cause")
    return int(cause) if isinstance(cause, int | str) and str(cause).isdigit() else 0
