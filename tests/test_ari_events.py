import json
from datetime import datetime, timedelta

from odoo.tests import tagged

from .common import TelephonyCase


def _channel(channel_id, state="Up", caller="", exten="", name=None):
    return {
        "id": channel_id,
        "name": name or f"PJSIP/{caller or 'trunk'}-{channel_id}",
        "state": state,
        "caller": {"name": "", "number": caller},
        "connected": {"name": "", "number": ""},
        "dialplan": {"context": "telephony-in", "exten": exten, "priority": 2},
    }


def _event(kind, second, channel, **extra):
    stamp = datetime(2026, 3, 2, 9, 0, 0) + timedelta(seconds=second)
    return {
        "type": kind,
        "timestamp": stamp.strftime("%Y-%m-%dT%H:%M:%S.250+0000"),
        "application": "telephony",
        "channel": channel,
        **extra,
    }


@tagged("post_install", "-at_install")
class TestAriEvents(TelephonyCase):
    """ARI events as Asterisk 22 sends them (shapes taken from a real Asterisk) update journal and rooms."""

    def _room_call_events(self, channel_id="1795347489.7", caller="+33612345678", dialled="8001"):
        ringing = _channel(channel_id, "Ring", caller, dialled)
        up = _channel(channel_id, "Up", caller, dialled)
        bridge = {"id": self.room._bridge_id(), "bridge_type": "mixing", "channels": [channel_id]}
        return [
            _event("StasisStart", 0, ringing, args=[dialled]),
            _event("ChannelStateChange", 1, up),
            _event("ChannelEnteredBridge", 9, up, bridge=bridge),
            _event("ChannelTalkingStarted", 12, up),
            _event("ChannelTalkingFinished", 20, up, duration=-250),
            _event("ChannelLeftBridge", 70, up, bridge=bridge),
            _event("StasisEnd", 70, up),
        ]

    def _snapshot(self):
        calls = self.env["telephony.call"].search_read([("pbx_id", "=", self.pbx.id)], order="id")
        participants = self.env["telephony.conference.participant"].search_read([], order="id")
        return json.dumps([calls, participants], default=str, sort_keys=True)

    def test_caller_into_a_room_is_journaled_and_joins(self):
        events = self._room_call_events()
        self.pbx._apply_ari_events(events[:3])
        call = self.env["telephony.call"].search([("pbx_unique_id", "=", "1795347489.7")])
        self.assertRecordValues(
            call,
            [
                {
                    "direction": "inbound",
                    "state": "answered",
                    "caller_number": "+33612345678",
                    "caller_number_e164": "+33612345678",
                    "called_number": "8001",
                    "conference_id": self.room.id,
                    "ring_seconds": 1,
                }
            ],
        )
        participant = self.room.participant_ids
        self.assertRecordValues(
            participant, [{"state": "joined", "number": "+33612345678", "channel_id": call.pbx_unique_id}]
        )
        self.assertEqual(self.room.state, "running")

    def test_talking_and_hangup(self):
        events = self._room_call_events()
        self.pbx._apply_ari_events(events[:4])
        self.assertTrue(self.room.participant_ids.talking)
        self.pbx._apply_ari_events(events[4:5])
        self.assertFalse(self.room.participant_ids.talking, "a negative talk duration still ends the talking")
        self.pbx._apply_ari_events(events[5:])
        self.assertEqual(self.room.participant_ids.state, "left")
        self.assertEqual(self.room.state, "idle")
        call = self.env["telephony.call"].search([("pbx_unique_id", "=", "1795347489.7")])
        self.assertEqual((call.ring_seconds, call.talk_seconds), (1, 69))

    def test_replaying_every_event_changes_nothing(self):
        events = self._room_call_events()
        self.pbx._apply_ari_events(events)
        before = self._snapshot()
        self.pbx._apply_ari_events(events)
        for event in events:
            self.pbx._apply_ari_events([event])
        self.assertEqual(self._snapshot(), before)
        self.assertEqual(self.env["telephony.call"].search_count([("pbx_id", "=", self.pbx.id)]), 1)

    def test_late_events_do_not_bring_a_participant_back(self):
        events = self._room_call_events()
        self.pbx._apply_ari_events(events)
        self.pbx._apply_ari_events(events[2:4])
        self.assertRecordValues(self.room.participant_ids, [{"state": "left", "talking": False}])

    def test_internal_caller_is_their_user(self):
        self.pbx._apply_ari_events(self._room_call_events(caller="202")[:1])
        call = self.env["telephony.call"].search([("pbx_unique_id", "=", "1795347489.7")])
        self.assertRecordValues(call, [{"direction": "internal", "user_id": self.user_boris.id}])

    def test_incoming_number_routes_to_its_destination(self):
        incoming = self.env["telephony.incoming.number"].create(
            {
                "number": "+33 1 84 88 00 00",
                "destination_type": "user",
                "user_id": self.user_anna.id,
                "company_id": self.company.id,
            }
        )
        for channel_id, dialled in (("1795347500.1", "+33184880000"), ("1795347500.2", "0184880000")):
            self.pbx._apply_ari_events(
                [_event("StasisStart", 0, _channel(channel_id, "Ring", "+3225550000", dialled), args=[dialled])]
            )
            call = self.env["telephony.call"].search([("pbx_unique_id", "=", channel_id)])
            self.assertRecordValues(call, [{"incoming_number_id": incoming.id, "user_id": self.user_anna.id}])

    def test_dialled_user_extension(self):
        self.pbx._apply_ari_events(
            [_event("StasisStart", 0, _channel("1795347501.1", "Ring", "+3225550000", "201"), args=["201"])]
        )
        call = self.env["telephony.call"].search([("pbx_unique_id", "=", "1795347501.1")])
        self.assertEqual(call.user_id, self.user_anna)

    def test_unanswered_calls_end_by_cause(self):
        for channel_id, cause, state in (
            ("1.1", 17, "busy"),
            ("1.2", 19, "missed"),
            ("1.3", 34, "failed"),
            ("1.4", 16, "missed"),
        ):
            ringing = _channel(channel_id, "Ring", "+3225550000", "201")
            self.pbx._apply_ari_events(
                [_event("StasisStart", 0, ringing, args=["201"]), _event("ChannelDestroyed", 30, ringing, cause=cause)]
            )
            call = self.env["telephony.call"].search([("pbx_unique_id", "=", channel_id)])
            self.assertRecordValues(call, [{"state": state, "ring_seconds": 30, "talk_seconds": 0}])

    def test_malformed_timestamp_does_not_lose_the_event(self):
        ringing = _channel("1795347502.1", "Ring", "+3225550000", "201")
        self.pbx._apply_ari_events([dict(_event("StasisStart", 0, ringing, args=["201"]), timestamp="yesterday")])
        call = self.env["telephony.call"].search([("pbx_unique_id", "=", "1795347502.1")])
        self.assertEqual(call.user_id, self.user_anna)
        self.assertTrue(call.start_date)

    def test_music_for_someone_alone_is_no_participant(self):
        """Bridge music on hold enters the bridge as an Announcer channel of Asterisk's own."""
        events = self._room_call_events()[:3]
        announcer = _channel("1795347489.9", "Up", "", "", name="Announcer/ARI_MOH-00000001;1")
        bridge = {"id": self.room._bridge_id(), "bridge_type": "mixing", "channels": ["1795347489.7", announcer["id"]]}
        self.pbx._apply_ari_events([*events, _event("ChannelEnteredBridge", 10, announcer, bridge=bridge)])
        self.assertEqual(self.room.participant_ids.mapped("channel_id"), ["1795347489.7"])

    def test_a_call_the_pbx_could_not_place_failed(self):
        """Asterisk 22: a Local/ dial string into a missing context dies at once, cause 0, still Down."""
        call = self._new_call("telephony-0a1b", self.user_anna, direction="outbound")
        down = _channel("telephony-0a1b", "Down", "8001", "555", name="Local/555@missing-context-00000004;1")
        self.pbx._apply_ari_events([_event("ChannelDestroyed", 0, down, cause=0, cause_txt="Unknown")])
        self.assertEqual(call.state, "failed")

    def test_events_of_unknown_channels_are_ignored(self):
        stray = _channel("1795347489.8", "Up", "", "", name="Local/101@telephony-test-00000003;2")
        changed = self.pbx._apply_ari_events(
            [
                _event("ChannelStateChange", 1, stray),
                _event("ChannelTalkingStarted", 2, stray),
                _event("ChannelDestroyed", 3, stray, cause=16),
                {"type": "PlaybackFinished", "playback": {"id": "x"}},
            ]
        )
        self.assertFalse(changed)
        self.assertFalse(self.env["telephony.call"].search([("pbx_unique_id", "=", "1795347489.8")]))

    def test_participants_watchers_are_notified_on_the_bus(self):
        self.env["bus.bus"].search([]).unlink()
        self.pbx._apply_ari_events(self._room_call_events()[:3])
        self.env.cr.precommit.run()
        notifications = self.env["bus.bus"].search([])
        messages = [json.loads(notification.message) for notification in notifications]
        conference_messages = [message for message in messages if message["type"] == "telephony/conference"]
        self.assertTrue(conference_messages, "the room administrator's browser hears about the new participant")
        payload = conference_messages[-1]["payload"]
        self.assertEqual(payload["state"], "running")
        self.assertEqual([p["state"] for p in payload["participants"]], ["joined"])
        channels = [json.loads(notification.channel) for notification in notifications]
        self.assertIn([self.env.cr.dbname, "res.partner", self.user_anna.partner_id.id], channels)
