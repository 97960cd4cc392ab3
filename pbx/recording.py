"""Call recording: the part of the call router that records bridges, by policy or when Odoo asks.

A two-party call whose policy is "always" is recorded from the moment its bridge forms; a room's session from
the moment its bridge is created. The bridge is recorded, not a channel: its mixed audio holds both ends, and it
goes on through a transfer (the bridge stays ``call-K``, the transferred party in it). Asterisk refuses to record a
channel that is in a bridge (RecordingFailed "Cannot record channel while in bridge").

Before recording, the announcement (when there is one) is played to the bridge, so that both parties hear it, and
the recording starts on its ``PlaybackFinished``. A recording ends when its bridge is no longer used (the call or
the room ended, a transfer sent the party to a room): the router then stops it and reports
``TelephonyRecordingEnded`` ``{"recording": {"name"}}``, since Asterisk does not always say so itself (a bridge
destroyed after one party left it ends its recording without a RecordingFinished event).

Odoo asks with the user event ``TelephonyRecord`` ``{"channel": <the user's leg>, "call": <conversation key>,
"record": "1" | "0", "announcement": <media or "">, "name": <the live recording, to stop>}``. A stop names the
recording because a router that restarted no longer knows it: the PBX keeps recording across a restart of the
listener, and ``POST /recordings/live/{name}/stop`` needs nothing else.
"""

import logging
import time
import uuid

from .ari import PbxError
from .calls import RECORD_ALWAYS, recording_name

_logger = logging.getLogger(__name__)

RECORD_EVENT = "TelephonyRecord"
RECORDING_ENDED_REPORT = "TelephonyRecordingEnded"


class RecordingMixin:
    """Recording of two-party calls and rooms, for :class:`~pbx.conference.CallRouter`.

    ``self.recordings`` maps each bridge the router records to the name of its live recording.
    """

    def _call_bridge_formed(self, caller):
        """A two-party call's bridge formed: record it if its policy says always."""
        if caller.recording == RECORD_ALWAYS:
            self._announce_then_record(caller.bridge_id, caller.call_key, caller.announcement)

    def _room_bridge_formed(self, room):
        """A room's bridge was created and its first caller is in it: record the session if the room says so.
        The first caller must be in first: Asterisk sends a recording's events to the applications that
        follow its bridge, and an empty bridge has none."""
        if room.recording == RECORD_ALWAYS:
            self._announce_then_record(room.bridge_id, room.bridge_id, room.announcement)

    def _record_from_odoo(self, fields):
        caller = self.callers.get(fields.get("channel", ""))
        if fields.get("record") == "0":
            self._stop_recording_asked(caller, fields.get("name", ""))
            return
        if caller is None or caller.room or caller.state != "bridged" or not caller.bridge_id:
            _logger.info("Channel %s is not in a call that could be recorded", fields.get("channel"))
            return
        if caller.bridge_id in self.recordings:
            return
        self._announce_then_record(caller.bridge_id, caller.call_key, fields.get("announcement", ""))

    def _stop_recording_asked(self, caller, name):
        bridge_id = caller.bridge_id if caller else ""
        name = name or self.recordings.get(bridge_id, "")
        if not name:
            return
        for recorded, live in list(self.recordings.items()):
            if live == name:
                del self.recordings[recorded]
        self.client.stop_recording(name)
        self._report_recording_ended(name)

    def _announce_then_record(self, bridge_id, subject, announcement):
        if not announcement:
            self._start_recording(bridge_id, subject)
            return
        playback_id = f"telephony-{uuid.uuid4().hex}"
        self.after_playback[playback_id] = (
            ("record", subject),
            bridge_id,
            time.monotonic() + self.prompt_grace_seconds,
        )
        try:
            self.client.play_on_bridge(bridge_id, announcement, playback_id=playback_id)
        except PbxError as error:
            # Without its announcement the call is not recorded: recording unannounced is what consent forbids.
            self.after_playback.pop(playback_id, None)
            _logger.warning("Could not announce the recording of bridge %s: %s", bridge_id, error)

    def _start_recording(self, bridge_id, subject):
        if bridge_id in self.recordings or not self._bridge_in_use(bridge_id):
            return
        name = recording_name(subject, uuid.uuid4().hex[:12])
        self.client.record_bridge(bridge_id, name)
        self.recordings[bridge_id] = name

    def _bridge_in_use(self, bridge_id):
        """Whether a followed call talks in ``bridge_id``, or a followed room owns it."""
        return any(caller.bridge_id == bridge_id for caller in self.callers.values()) or any(
            state.bridge_ready and state.room.bridge_id == bridge_id for state in self.rooms.values()
        )

    def _end_recordings_of_unused_bridges(self):
        """A recording ends with its bridge: stop it (Asterisk stops it anyway when the bridge goes) and say so."""
        for bridge_id, name in list(self.recordings.items()):
            if self._bridge_in_use(bridge_id):
                continue
            del self.recordings[bridge_id]
            try:
                self.client.stop_recording(name)
            except PbxError as error:
                _logger.warning("Could not stop recording %s of a bridge that ended: %s", name, error)
            self._report_recording_ended(name)

    def _report_recording_ended(self, name):
        self.report({"type": RECORDING_ENDED_REPORT, "recording": {"name": name}})
