import hashlib
import json
import time
from datetime import timedelta

import requests

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, new_test_user, tagged

from odoo.addons.bus.models.bus import channel_with_db, json_dump

from ..models.telephony_recording import PLAYBACK_LOG_MINUTES
from ..pbx.calls import RECORD_ALWAYS, RECORD_ON_DEMAND, Forward
from ..pbx.recording import RECORD_EVENT, RECORDING_ENDED_REPORT
from ..pbx.simulator import Simulator
from .common import TelephonyCase, sim_control

KEY = "1796000000.1"
NAME = f"{KEY}-rec-0123456789ab"


class RecordingCase(TelephonyCase):
    """A simulator as the PBX, and Anna's answered call with an outside caller."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, allowed_company_ids=[cls.company.id]))
        cls.simulator = Simulator(port=0).start()
        cls.addClassCleanup(cls.simulator.stop)
        cls.pbx.write({"ari_url": cls.simulator.url, "ari_password": "telephony", "timeout": 2})
        cls.call = cls._new_call(KEY, cls.user_anna, state="answered", answered_user_id=cls.user_anna.id)

    def _events(self, *kinds, name=NAME, second=0):
        stamp = f"2026-12-02T10:00:{second:02d}.000+0000"
        return [{"type": kind, "timestamp": stamp, "recording": {"name": name, "format": "wav"}} for kind in kinds]

    def _recordings(self):
        return self.env["telephony.recording"].search([("pbx_id", "=", self.pbx.id)])

    def _finished_recording(self, seconds=2, name=NAME):
        """A recording the PBX finished and holds, journaled as to fetch."""
        sim_control(self.simulator, "recordings", name=name, seconds=seconds)
        self.pbx._apply_ari_events(self._events("RecordingStarted", "RecordingFinished", name=name))
        return self._recordings().filtered(lambda recording: recording.name == name)

    def _pbx_file(self, name=NAME):
        client = self.pbx._ari_client()
        try:
            return client.stored_recording_file(name)
        finally:
            client.close()

    def _fetch(self):
        self.env["telephony.recording"]._cron_fetch_recordings()


@tagged("post_install", "-at_install")
class TestRecordingPolicy(RecordingCase):
    def test_the_most_specific_policy_applies_room_number_user_company(self):
        self.company.telephony_recording_policy = "on_demand"
        self.user_anna.telephony_recording_policy = "always"
        incoming = self.env["telephony.incoming.number"].create(
            {"number": "+33 1 23 45 67 89", "destination_type": "user", "user_id": self.user_anna.id}
        )
        self.assertEqual(self.pbx._route_call("+33123456789", "+33612345678", False).recording, RECORD_ALWAYS)
        incoming.recording_policy = "never"
        self.assertEqual(self.pbx._route_call("+33123456789", "+33612345678", False).recording, "")
        # Boris has no setting of his own: the company's.
        self.assertEqual(self.pbx._route_call("202", "+33612345678", False).recording, RECORD_ON_DEMAND)
        self.assertEqual(self.pbx._route_call("202", "201", True).recording, RECORD_ALWAYS, "Anna placed it")
        self.assertEqual(self.room._router_room().recording, RECORD_ON_DEMAND)
        self.room.recording_policy = "always"
        self.assertEqual(self.room._router_room().recording, RECORD_ALWAYS)

    def test_the_announcement_comes_from_the_pbx_form_unless_the_company_announces_nothing(self):
        self.company.telephony_recording_policy = "always"
        forward = self.pbx._route_call("202", "+33612345678", False)
        self.assertIsInstance(forward, Forward)
        self.assertEqual(forward.announcement, "sound:conf-now-recording")
        self.company.telephony_recording_announce = False
        self.assertEqual(self.pbx._route_call("202", "+33612345678", False).announcement, "")

    def test_a_bad_announcement_is_refused_with_its_name(self):
        with self.assertRaisesRegex(Exception, "not a sound the PBX can play"):
            self.pbx.recording_announcement = "/etc/passwd"

    def test_a_user_reads_but_does_not_choose_their_recording_policy_a_manager_does(self):
        self.assertFalse(self.user_anna.with_user(self.user_anna).telephony_recording_policy)
        with self.assertRaises(AccessError):
            self.user_anna.with_user(self.user_anna).write({"telephony_recording_policy": "never"})
        self.user_anna.with_user(self.manager).write({"telephony_recording_policy": "never"})
        self.assertEqual(self.user_anna.telephony_recording_policy, "never")

    def test_only_a_manager_sets_a_rooms_recording(self):
        with self.assertRaises(AccessError):
            self.room.with_user(self.user_anna).write({"recording_policy": "never"})


@tagged("post_install", "-at_install")
class TestRecordingEvents(RecordingCase):
    def test_events_journal_one_recording_on_its_call_and_replays_change_nothing(self):
        self.pbx._apply_ari_events(self._events("RecordingStarted"))
        recording = self._recordings()
        self.assertRecordValues(recording, [{"name": NAME, "call_id": self.call.id, "state": "recording"}])
        self.assertTrue(self.call.recording_live)
        finished = self._events("RecordingFinished", RECORDING_ENDED_REPORT, second=9)
        self.pbx._apply_ari_events(finished)
        self.pbx._apply_ari_events(self._events("RecordingStarted") + finished)
        self.assertEqual(self._recordings(), recording)
        self.assertEqual(recording.state, "to_fetch")
        self.assertEqual(recording.end_date, fields.Datetime.to_datetime("2026-12-02 10:00:09"))
        self.assertFalse(self.call.recording_live)

    def test_a_recording_first_heard_of_when_it_ends_is_journaled_to_fetch(self):
        self.pbx._apply_ari_events(self._events(RECORDING_ENDED_REPORT))
        self.assertEqual(self._recordings().state, "to_fetch")

    def test_a_failed_recording_says_why(self):
        failed = self._events("RecordingStarted", "RecordingFailed")
        failed[1]["recording"]["cause"] = "Cannot record channel while in bridge"
        self.pbx._apply_ari_events(failed)
        self.assertRecordValues(
            self._recordings(),
            [{"state": "failed", "last_error": "The PBX stopped the recording: Cannot record channel while in bridge"}],
        )

    def test_a_failed_recording_is_explained_in_the_company_language(self):
        """The listener applies the event in nobody's language: managers read why in their company's."""
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env["ir.module.module"]._load_module_terms(["telephony"], ["fr_FR"], overwrite=True)
        self.company.partner_id.lang = "fr_FR"
        self.pbx.with_context(lang="en_US")._apply_ari_events(self._events("RecordingStarted", "RecordingFailed"))
        self.assertEqual(self._recordings().last_error, "L'IPBX a arrêté l'enregistrement : il n'a donné aucune raison")

    def test_a_room_session_is_journaled_on_the_room(self):
        name = f"{self.room._bridge_id()}-rec-0123456789ab"
        self.pbx._apply_ari_events(self._events("RecordingStarted", name=name))
        self.assertRecordValues(self._recordings(), [{"conference_id": self.room.id, "call_id": False}])
        self.assertTrue(self.room._telephony_payload()["recording"])
        self.assertEqual(self._room_windows_told(), [True], "the administrator's window shows the recording")
        self.pbx._apply_ari_events(self._events("RecordingFinished", name=name, second=5))
        self.assertFalse(self.room._telephony_payload()["recording"])
        self.assertEqual(self._room_windows_told(), [True, False])

    def _room_windows_told(self):
        """What the room's administrator's browser heard of the room's recording, in order."""
        self.env.cr.precommit.run()
        channel = json_dump(channel_with_db(self.env.cr.dbname, self.user_anna.partner_id))
        messages = self.env["bus.bus"].sudo().search([("channel", "=", channel)], order="id")
        return [
            json.loads(message.message)["payload"]["recording"]
            for message in messages
            if json.loads(message.message)["type"] == "telephony/conference"
        ]

    def test_recordings_this_application_did_not_name_are_ignored(self):
        self.pbx._apply_ari_events(self._events("RecordingStarted", name="someone-elses"))
        self.pbx._apply_ari_events(self._events("RecordingStarted", name="1700000000.9-rec-0123456789ab"))
        self.assertFalse(self._recordings())


@tagged("post_install", "-at_install")
class TestRecordingFetch(RecordingCase):
    def test_a_fetched_file_is_stored_checked_and_only_then_deleted_from_the_pbx(self):
        recording = self._finished_recording(seconds=2)
        pbx_file = self._pbx_file()
        self._fetch()
        self.assertRecordValues(
            recording,
            [
                {
                    "state": "stored",
                    "duration": 2,
                    "file_size": len(pbx_file),
                    "checksum": hashlib.sha256(pbx_file).hexdigest(),
                    "pbx_deleted": True,
                }
            ],
        )
        self.assertEqual(recording.attachment_id.raw, pbx_file)
        self.assertEqual(recording.attachment_id.mimetype, "audio/wav")
        self.assertNotIn(NAME, self.simulator.stored_recordings)
        self.pbx._apply_ari_events(self._events("RecordingStarted", "RecordingFinished", RECORDING_ENDED_REPORT))
        self.assertEqual(recording.state, "stored", "a late or replayed event does not fetch a stored file again")

    def test_a_pbx_that_is_down_keeps_its_file_and_the_fetch_is_retried_and_shown(self):
        recording = self._finished_recording()
        self.pbx.ari_url = "http://127.0.0.1:9"
        self._fetch()
        self.assertEqual(recording.state, "fetch_failed")
        self.assertIn("cannot be reached", recording.last_error)
        self._fetch()
        self.assertEqual(recording.fetch_attempts, 1, "not retried before it is due")
        pbx_form = self.pbx.with_user(self.manager)
        self.assertEqual(pbx_form.recording_failed_count, 1)
        self.assertIn("cannot be reached", pbx_form.recording_last_error)
        self.pbx.ari_url = self.simulator.url
        pbx_form.action_retry_recordings()
        self._fetch()
        self.assertEqual(recording.state, "stored")
        self.env.invalidate_all()
        self.assertEqual(self.pbx.with_user(self.manager).recording_failed_count, 0)

    def test_a_failed_fetch_is_explained_in_the_company_language(self):
        """The cron writes in no one's language: what it stores for managers to read is in their company's."""
        self.env["res.lang"]._activate_lang("fr_FR")
        self.company.partner_id.lang = "fr_FR"
        recording = self._finished_recording()
        self.pbx.ari_url = "http://127.0.0.1:9"
        self._fetch()
        self.assertTrue(recording.last_error.startswith("L'IPBX à l'adresse http://127.0.0.1:9"), recording.last_error)

    def test_a_file_the_pbx_no_longer_has_is_a_failed_fetch(self):
        recording = self._finished_recording()
        self.simulator.stored_recordings.clear()
        self._fetch()
        self.assertEqual(recording.state, "fetch_failed")
        self.assertIn("no longer has it", recording.last_error)
        self.assertFalse(recording.attachment_id)

    def test_a_cut_file_is_not_stored_and_stays_on_the_pbx(self):
        recording = self._finished_recording(seconds=2)
        sim_control(self.simulator, f"recordings/{NAME}/truncate", size=10000)
        self._fetch()
        self.assertEqual(recording.state, "fetch_failed")
        self.assertIn("cut recording", recording.last_error)
        self.assertFalse(recording.attachment_id)
        self.assertIn(NAME, self.simulator.stored_recordings)

    def test_a_recording_whose_end_was_lost_is_fetched_once_the_pbx_no_longer_records_it(self):
        self.pbx._apply_ari_events(self._events("RecordingStarted"))
        recording = self._recordings()
        recording.start_date = fields.Datetime.now() - timedelta(minutes=5)
        sim_control(self.simulator, "recordings", name=NAME, seconds=1)
        self._fetch()
        self.assertEqual(recording.state, "stored")


@tagged("post_install", "-at_install")
class TestRecordingRetention(RecordingCase):
    def test_recordings_past_the_retention_are_deleted_and_the_deletion_logged(self):
        self.company.telephony_recording_retention_days = 30
        old = self._finished_recording(name=f"{KEY}-rec-000000000001")
        recent = self._finished_recording(name=f"{KEY}-rec-000000000002")
        self._fetch()
        old.end_date = fields.Datetime.now() - timedelta(days=31)
        attachment = old.attachment_id
        self.env["telephony.recording"]._cron_delete_expired_recordings()
        self.assertEqual(old.state, "deleted")
        self.assertFalse(attachment.exists())
        self.assertEqual(recent.state, "stored")
        self.assertIn(old.name, self.call.message_ids[:1].body)

    def test_no_retention_keeps_everything(self):
        recording = self._finished_recording()
        self._fetch()
        recording.end_date = fields.Datetime.now() - timedelta(days=3650)
        self.env["telephony.recording"]._cron_delete_expired_recordings()
        self.assertEqual(recording.state, "stored")


@tagged("post_install", "-at_install")
class TestRecordingAccess(RecordingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_manager = new_test_user(
            cls.env,
            login="other_company_manager",
            groups="telephony.group_telephony_manager",
            company_id=cls.other_company.id,
            company_ids=[(6, 0, [cls.other_company.id])],
        )

    def setUp(self):
        super().setUp()
        self.recording = self._finished_recording()
        self._fetch()

    def _as(self, records, user):
        """``records`` as ``user`` sees them, in the companies they work for."""
        return records.with_user(user).with_context(allowed_company_ids=user.company_ids.ids)

    def test_the_calls_own_user_and_managers_read_it_nobody_else(self):
        Recording = self.env["telephony.recording"]
        self.assertEqual(self._as(Recording, self.user_anna).search([]), self.recording)
        self.assertEqual(self._as(Recording, self.manager).search([]), self.recording)
        self.assertFalse(self._as(Recording, self.user_boris).search([]))
        self.assertFalse(self._as(Recording, self.other_manager).search([]))
        for stranger in (self.user_boris, self.other_manager, self.plain_user):
            with self.subTest(user=stranger.login), self.assertRaises(AccessError):
                self._as(self.recording, stranger).read(["name"])

    def test_the_file_follows_the_recording(self):
        # Even its own user reads the file only through the player, which notes each playback on the call.
        attachment = self.recording.attachment_id
        for stranger in (self.user_anna, self.user_boris, self.other_manager, self.plain_user):
            with self.subTest(user=stranger.login), self.assertRaises(AccessError):
                self._as(attachment, stranger).read(["raw"])

    def test_the_timeline_and_the_caller_card_offer_the_player_to_whoever_may_play_it(self):
        # Boris took the call over: he reads the call, not its recording.
        self.call.transfer_user_id = self.user_boris
        url = f"/telephony/recording/{self.recording.id}"
        for user, expected in ((self.user_anna, url), (self.manager, url), (self.user_boris, False)):
            with self.subTest(user=user.login):
                feed = self._as(self.env["telephony.timeline"], user).get_feed(number="+33612345678", kinds=["call"])
                item = next(item for item in feed["items"] if item["res_id"] == self.call.id)
                self.assertEqual(item["recording_url"], expected)
                ringing = self._new_call(f"{KEY}.{user.id}", user, start_date=fields.Datetime.now())
                card = self._as(ringing, user).telephony_caller_card()
                past = next(past for past in card["last_calls"] if past["id"] == self.call.id)
                self.assertEqual(past["recording_url"], expected)

    def test_only_a_manager_fetches_again(self):
        self.recording.state = "fetch_failed"
        with self.assertRaises(AccessError):
            self._as(self.recording, self.user_anna).action_retry_fetch()
        with self.assertRaises(AccessError):
            self._as(self.pbx, self.user_anna).action_retry_recordings()
        self._as(self.pbx, self.manager).action_retry_recordings()

    def test_on_demand_recording_only_for_its_user_a_manager_and_the_right_policy(self):
        self.company.telephony_recording_policy = "always"
        with self.assertRaisesRegex(UserError, "cannot be recorded on demand"):
            self.call.with_user(self.user_anna).action_start_recording()
        self.company.telephony_recording_policy = "on_demand"
        with self.assertRaises(AccessError):
            self.call.with_user(self.user_boris).action_start_recording()
        with self.assertRaisesRegex(UserError, "not being recorded"):
            self.call.with_user(self.user_anna).action_stop_recording()


@tagged("post_install", "-at_install")
class TestOnDemandRecording(RecordingCase):
    """What reaches the listener's router when a user starts or stops a recording."""

    def setUp(self):
        super().setUp()
        self.company.telephony_recording_policy = "on_demand"
        self._hear_user_events()

    def _sent(self, count):
        deadline = time.monotonic() + 10
        while len(self.sent) < count:
            self.assertLess(time.monotonic(), deadline, "the router did not get the user event")
            time.sleep(0.02)
        return self.sent

    def test_start_then_stop_name_my_leg_and_the_live_recording(self):
        self.call.with_user(self.user_anna).action_start_recording()
        self.pbx._apply_ari_events(self._events("RecordingStarted"))
        self.call.with_user(self.user_anna).action_stop_recording()
        leg = {"channel": f"{KEY}-peer", "call": KEY, "extension": "201"}
        self.assertEqual(
            self._sent(2),
            [
                (RECORD_EVENT, {**leg, "record": "1", "announcement": "sound:conf-now-recording"}),
                (RECORD_EVENT, {**leg, "record": "0", "name": NAME}),
            ],
        )

    def test_an_ended_call_cannot_be_recorded(self):
        self.call.end_date = fields.Datetime.now()
        with self.assertRaisesRegex(UserError, "has ended"):
            self.call.with_user(self.user_anna).action_start_recording()


@tagged("post_install", "-at_install")
class TestRecordingDownload(HttpCase):
    """The file over HTTP, as the logged-in user: Range for the player, one chatter line per playback."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = cls.env["res.company"].create({"name": "Telephony Recording Co"})
        other = cls.env["res.company"].create({"name": "Telephony Other Co"})
        cls.simulator = Simulator(port=0).start()
        cls.addClassCleanup(cls.simulator.stop)
        cls.pbx = cls.env["telephony.pbx"].create(
            {
                "name": "Recording PBX",
                "ari_url": cls.simulator.url,
                "ari_password": "telephony",
                "company_id": company.id,
            }
        )
        cls.users = {}
        for login, groups, user_company in (
            ("rec_anna", "telephony.group_telephony_user", company),
            ("rec_boris", "telephony.group_telephony_user", company),
            ("rec_manager", "telephony.group_telephony_manager", company),
            ("rec_other_manager", "telephony.group_telephony_manager", other),
        ):
            cls.users[login] = new_test_user(
                cls.env,
                login=login,
                password=f"{login}-pw-123",
                groups=groups,
                company_id=user_company.id,
                company_ids=[(6, 0, [user_company.id])],
            )
        cls.call = cls.env["telephony.call"].create(
            {
                "pbx_id": cls.pbx.id,
                "pbx_unique_id": KEY,
                "direction": "inbound",
                "user_id": cls.users["rec_anna"].id,
                "company_id": company.id,
                "caller_number": "+33612345678",
                "state": "answered",
                "start_date": "2026-12-01 10:00:00",
                "answer_date": "2026-12-01 10:00:05",
                "end_date": "2026-12-01 10:00:07",
            }
        )
        sim_control(cls.simulator, "recordings", name=NAME, seconds=2)
        cls.pbx._apply_ari_events(
            [{"type": RECORDING_ENDED_REPORT, "timestamp": "2026-12-02T10:00:00.000+0000", "recording": {"name": NAME}}]
        )
        cls.env["telephony.recording"]._cron_fetch_recordings()
        cls.recording = cls.env["telephony.recording"].search([("name", "=", NAME)])

    def _get(self, login, url, **headers):
        self.authenticate(login, f"{login}-pw-123")
        return self.url_open(url, headers=headers)

    def _logged(self):
        return self.call.message_ids.filtered(lambda message: NAME in (message.body or ""))

    def test_its_user_plays_it_with_range_and_one_line_is_logged(self):
        self.assertEqual(self.recording.state, "stored")
        url = f"/telephony/recording/{self.recording.id}"
        whole = self._get("rec_anna", url, Range="bytes=0-")
        self.assertIn(whole.status_code, (200, 206))
        self.assertEqual(whole.headers["Content-Type"], "audio/wav")
        self.assertEqual(whole.content, self.recording.attachment_id.raw)
        part = self._get("rec_anna", url, Range="bytes=100-199")
        self.assertEqual(part.status_code, 206)
        self.assertEqual(part.content, self.recording.attachment_id.raw[100:200])
        self.assertEqual(len(self._logged()), 1, "the player's next ranges are the same playback")
        self.assertIn("played by", self._logged().body)
        self.assertEqual(self._logged().author_id, self.users["rec_anna"].partner_id)
        download = self._get("rec_manager", f"{url}?download=1")
        self.assertIn("attachment", download.headers["Content-Disposition"])
        self.assertIn("downloaded by", self._logged()[0].body)

    def test_a_player_that_starts_over_is_still_one_playback(self):
        # Chromium asks for "bytes=0-" again when it (re)loads the audio it already started.
        url = f"/telephony/recording/{self.recording.id}"
        for _attempt in range(3):
            self.assertEqual(self._get("rec_anna", url, Range="bytes=0-").status_code, 206)
        self.assertEqual(len(self._logged()), 1)
        self._logged().date = fields.Datetime.now() - timedelta(minutes=PLAYBACK_LOG_MINUTES + 1)
        self._get("rec_anna", url, Range="bytes=0-")
        self.assertEqual(len(self._logged()), 2, "played again later: a playback of its own")
        self._get("rec_manager", url, Range="bytes=0-")
        self._get("rec_manager", f"{url}?download=1")
        self.assertEqual(len(self._logged()), 4, "another listener, and a download, are lines of their own")

    def test_others_get_nothing_neither_here_nor_through_web_content(self):
        url = f"/telephony/recording/{self.recording.id}"
        for login in ("rec_boris", "rec_other_manager"):
            with self.subTest(login=login):
                self.assertEqual(self._get(login, url).status_code, 404)
                content = self._get(login, f"/web/content/{self.recording.attachment_id.id}")
                self.assertIn(content.status_code, (403, 404))
        self.assertFalse(self._logged())
        self.assertEqual(requests.get(f"{self.base_url()}{url}", timeout=10, allow_redirects=False).status_code, 303)

    def test_playback_on_the_call_form(self):
        self.start_tour(
            f"/odoo/action-telephony.telephony_call_action/{self.call.id}",
            "telephony_recording_playback_tour",
            login="rec_anna",
            timeout=120,
        )

    def test_a_manager_plays_the_recorded_call_from_the_callers_timeline(self):
        self.start_tour(
            "/odoo/telephony_timeline?number=tel%3A%2B33612345678",
            "telephony_recording_timeline_tour",
            login="rec_manager",
            timeout=120,
        )
        self.assertIn("played by", self._logged().body, "the manager's playback is on the call")
