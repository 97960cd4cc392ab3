"""One journal row per conversation: forwarded calls, rejected callers, room sessions, calls placed late."""

import time

from odoo.exceptions import UserError
from odoo.tests import tagged

from ..pbx.conference import REJECTED_EVENT
from ..pbx.simulator import Simulator
from .common import TelephonyCase
from .test_ari_events import _channel, _event


@tagged("post_install", "-at_install")
class TestJournal(TelephonyCase):
    def _calls(self):
        return self.env["telephony.call"].search([("pbx_id", "=", self.pbx.id)])

    def _forwarded_call(self, caller, dialled, channel_id="1795347600.1", answered=True):
        """A call the router forwards: the caller's channel, then the peer leg it rang (a real Asterisk's shapes)."""
        peer_id = f"{channel_id}-peer"
        ringing = _channel(channel_id, "Ring", caller, dialled)
        peer = _channel(peer_id, "Up", caller, "s", name=f"PJSIP/{dialled}-0000002a")
        bridge = {"id": f"call-{channel_id}", "bridge_type": "mixing", "channels": [channel_id, peer_id]}
        events = [
            _event("StasisStart", 0, ringing, args=[dialled]),
            _event("ChannelStateChange", 2, _channel(peer_id, "Ringing", caller, "s", name=peer["name"])),
        ]
        if answered:
            events += [
                _event("ChannelStateChange", 6, peer),
                _event("StasisStart", 6, peer, args=["peer", channel_id]),
                _event("ChannelStateChange", 6, _channel(channel_id, "Up", caller, dialled)),
                _event("ChannelEnteredBridge", 6, peer, bridge=bridge),
                _event("StasisEnd", 40, peer),
                _event("ChannelDestroyed", 40, peer, cause=16, cause_txt="Normal Clearing"),
            ]
        else:
            events.append(_event("ChannelDestroyed", 20, peer, cause=19, cause_txt="User alerting, no answer"))
        return events + [_event("ChannelDestroyed", 40, ringing, cause=16)]

    def test_outside_call_forwarded_to_a_user_is_one_row_naming_who_answered(self):
        self.pbx._apply_ari_events(self._forwarded_call("+33612345678", "201"))
        self.assertRecordValues(
            self._calls(),
            [
                {
                    "direction": "inbound",
                    "called_number": "201",
                    "user_id": self.user_anna.id,
                    "answered_user_id": self.user_anna.id,
                    "state": "answered",
                    "ring_seconds": 6,
                    "talk_seconds": 34,
                }
            ],
        )

    def test_call_between_users_is_one_row_both_users_see(self):
        placed = self._new_call(
            "telephony-dial-0123", self.user_boris, direction="internal", caller_number="202", called_number="201"
        )
        events = self._forwarded_call("202", "201", channel_id="telephony-dial-0123")
        self.pbx._apply_ari_events(events[1:])
        call = self._calls()
        self.assertEqual(call, placed)
        self.assertRecordValues(
            call, [{"direction": "internal", "user_id": self.user_boris.id, "answered_user_id": self.user_anna.id}]
        )
        for user in (self.user_anna, self.user_boris):
            self.assertEqual(self.env["telephony.call"].with_user(user).search([("id", "=", call.id)]), call)
            recent = self.env["telephony.call"].with_user(user).telephony_widget_data()["recent_calls"]
            self.assertEqual([payload["id"] for payload in recent], call.ids, "in both widgets' recent calls")

    def test_unanswered_forward_is_one_missed_row(self):
        self.pbx._apply_ari_events(self._forwarded_call("+33612345678", "201", answered=False))
        self.assertRecordValues(self._calls(), [{"state": "missed", "answered_user_id": False}])

    def test_rejected_caller_is_not_answered(self):
        channel_id = "1795347601.1"
        caller = _channel(channel_id, "Up", "+33612345678", "8001")
        self.pbx._apply_ari_events(
            [
                _event("StasisStart", 0, _channel(channel_id, "Ring", "+33612345678", "8001"), args=["8001"]),
                _event("ChannelStateChange", 1, caller),
            ]
        )
        self.assertEqual(self._calls().state, "answered", "the receptionist answers to ask for the code")
        rejected = {"type": REJECTED_EVENT, "channel": {"id": channel_id, "caller": {"number": "+33612345678"}}}
        self.pbx._apply_ari_events([rejected])
        self.pbx._apply_ari_events([_event("ChannelStateChange", 1, caller), _event("StasisEnd", 30, caller)])
        call = self._calls()
        self.assertRecordValues(call, [{"state": "rejected", "answer_date": False, "talk_seconds": 0}])
        self.assertEqual(call._telephony_payload()["state_label"], "Wrong Access Code")
        self.assertFalse(self.room.participant_ids, "a caller sent away never was in the room")
        call.user_id = self.user_anna
        self.user_anna.telephony_enabled = True
        dashboard = (
            self.env["telephony.dashboard"]
            .with_user(self.user_anna)
            .get_dashboard_data("custom", date_from="2026-03-02", date_to="2026-03-02")
        )
        kpis = {kpi["key"]: kpi["value"] for kpi in dashboard["kpis"]}
        self.assertEqual((kpis["total"], kpis["answered"], kpis["missed"]), (1, 0, 0), "neither answered nor missed")

    def test_call_placed_after_odoo_gave_up_is_journaled_when_it_shows_up(self):
        channel_id = "telephony-dial-0123456789abcdef"
        phone = _channel(channel_id, "Up", "202", "s", name="PJSIP/201-0000002b")
        self.pbx._apply_ari_events([_event("StasisStart", 0, phone, args=["dial", "202", "201"])])
        self.assertRecordValues(
            self._calls(),
            [
                {
                    "pbx_unique_id": channel_id,
                    "direction": "internal",
                    "caller_number": "201",
                    "called_number": "202",
                    "user_id": self.user_anna.id,
                    "state": "ringing",
                }
            ],
        )

    def test_a_channel_odoo_did_not_place_is_journaled_as_what_it_is(self):
        """Stasis arguments saying "dial" on a channel Odoo did not originate (a loose dial plan passing on what a
        caller typed) must not journal a call placed by the user whose extension they name."""
        phone = _channel("1795347700.9", "Ring", "+33612345678", "dial", name="PJSIP/my-trunk-0000002c")
        self.pbx._apply_ari_events([_event("StasisStart", 0, phone, args=["dial", "202", "201"])])
        call = self._calls()
        self.assertEqual(len(call), 1)
        self.assertNotEqual(call.user_id, self.user_anna, "nobody's extension places a call from outside")
        self.assertEqual(call.caller_number, "+33612345678")

    def test_user_calling_a_colleague_shows_their_name(self):
        forward = self.pbx._route_call("202", "201", True)
        self.assertEqual(forward.caller_id, f'"{self.user_anna.name}" <201>')
        self.assertEqual(self.pbx._route_call("201", "+33612345678", False).caller_id, "<+33612345678>")

    def _room_visit(self, channel_id, second):
        up = _channel(channel_id, "Up", "+33612345678", "8001")
        bridge = {"id": self.room._bridge_id(), "bridge_type": "mixing", "channels": [channel_id]}
        return [
            _event("StasisStart", second, _channel(channel_id, "Ring", "+33612345678", "8001"), args=["8001"]),
            _event("ChannelEnteredBridge", second + 5, up, bridge=bridge),
        ], [_event("ChannelLeftBridge", second + 60, up, bridge=bridge), _event("StasisEnd", second + 60, up)]

    def test_room_shows_its_current_session_and_keeps_the_earlier_ones(self):
        for session, channel_ids in enumerate((("1.1", "1.2"), ("2.1",)), start=1):
            visits = [self._room_visit(channel_id, 100 * session) for channel_id in channel_ids]
            for arrive, _leave in visits:
                self.pbx._apply_ari_events(arrive)
            self.assertEqual(self.room.current_participant_ids.mapped("channel_id"), list(channel_ids))
            self.assertEqual(
                [p["id"] for p in self.room._telephony_payload()["participants"]], self.room.current_participant_ids.ids
            )
            for _arrive, leave in visits:
                self.pbx._apply_ari_events(leave)
        self.assertEqual(self.room.current_participant_ids.mapped("channel_id"), ["2.1"], "the last session stays")
        self.assertEqual(self.room.participant_ids.mapped("session"), [1, 1, 2])
        groups = self.env["telephony.conference.participant"].read_group(
            [("conference_id", "=", self.room.id)], ["session"], ["session"]
        )
        self.assertEqual([(g["session"], g["session_count"]) for g in groups], [(1, 2), (2, 1)])


@tagged("post_install", "-at_install")
class TestSlowPbx(TelephonyCase):
    """A PBX that answers after the timeout (over real sockets): the call is cancelled, never left unknown."""

    def test_call_the_pbx_was_too_slow_to_place_never_connects(self):
        simulator = Simulator(port=0).start()
        self.addCleanup(simulator.stop)
        self.pbx.write({"ari_url": simulator.url, "ari_password": "telephony", "timeout": 5})
        self.user_anna.telephony_enabled = True
        simulator.delay = 8
        started = time.monotonic()
        with self.assertRaises(UserError) as caught:
            self.env["telephony.call"].with_user(self.user_anna).action_dial("202")
        self.assertIn("did not answer within 5 seconds", str(caught.exception))
        self.assertIn("cancel", str(caught.exception))
        hangups = [path for method, path, _ in simulator.requests if method == "DELETE"]
        self.assertEqual(len(hangups), 1, "Odoo hung up the channel it had asked for")
        time.sleep(max(0, started + 2 * simulator.delay + 1 - time.monotonic()))
        self.assertFalse(simulator.channels, "the late call was hung up: nobody's phone keeps ringing")
