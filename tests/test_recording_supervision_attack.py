"""Attacks on call recording and live supervision: crafted RPCs, other users and companies, forged PBX events,
odd HTTP requests for a recording's file."""

import re
from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import HttpCase, new_test_user, tagged

from ..pbx.recording import RECORDING_ENDED_REPORT
from ..pbx.simulator import Simulator
from .common import sim_control
from .test_recording import KEY, NAME, RecordingCase


@tagged("post_install", "-at_install")
class TestRecordingAttack(RecordingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_pbx = cls.env["telephony.pbx"].create(
            {
                "name": "Other PBX",
                "ari_url": "http://127.0.0.1:9",
                "ari_password": "secret",
                "company_id": cls.other_company.id,
            }
        )

    def _as(self, records, user):
        return records.with_user(user).with_context(allowed_company_ids=user.company_ids.ids)

    def _stored(self, name=NAME):
        recording = self._finished_recording(name=name)
        self._fetch()
        self.assertEqual(recording.state, "stored")
        return recording

    def test_a_recording_named_after_a_room_of_another_pbx_is_not_journaled_and_the_batch_goes_on(self):
        # Another company's PBX reports a recording named after our room's bridge, next to a recording of its own.
        other_call = self.env["telephony.call"].create(
            {
                "pbx_id": self.other_pbx.id,
                "pbx_unique_id": "1796000000.7",
                "direction": "inbound",
                "caller_number": "+32470123456",
                "company_id": self.other_company.id,
                "state": "answered",
            }
        )
        forged = self._events("RecordingStarted", name=f"{self.room._bridge_id()}-rec-0123456789ab")
        own = self._events("RecordingStarted", name="1796000000.7-rec-0123456789ab")
        self.other_pbx._apply_ari_events(forged + own)
        recordings = self.env["telephony.recording"].search([("pbx_id", "=", self.other_pbx.id)])
        self.assertEqual(recordings.call_id, other_call)
        self.assertFalse(recordings.conference_id, "our room is not recorded by another PBX")
        self.assertFalse(self.room._telephony_payload()["recording"])

    def test_a_huge_retention_is_refused_by_name(self):
        # Past year 1 the daily cron's date overflows, and the cron fails for every company.
        with self.assertRaisesRegex(ValidationError, "36500"):
            self.other_company.telephony_recording_retention_days = 10**6

    def test_retention_keeps_another_companys_recordings_with_its_own_retention(self):
        self.company.telephony_recording_retention_days = 0
        self.other_company.telephony_recording_retention_days = 1
        recording = self._stored()
        recording.end_date = fields.Datetime.now() - timedelta(days=400)
        self.env["telephony.recording"]._cron_delete_expired_recordings()
        self.assertEqual(recording.state, "stored")

    def test_retention_never_touches_a_recording_odoo_has_not_stored(self):
        self.company.telephony_recording_retention_days = 1
        recording = self._finished_recording()
        recording.end_date = fields.Datetime.now() - timedelta(days=10)
        self.env["telephony.recording"]._cron_delete_expired_recordings()
        self.assertEqual(recording.state, "to_fetch")
        self.assertTrue(self._pbx_file(), "the PBX still holds the file")

    def test_deleting_a_call_deletes_its_recordings_file_nobody_reads_it_afterwards(self):
        recording = self._stored()
        attachment = recording.attachment_id
        self._as(self.call, self.manager).unlink()
        self.assertFalse(attachment.exists(), "the file goes with its call, not left in the filestore")

    def test_deleting_a_meeting_deletes_its_recordings_file(self):
        meeting = self._as(self.env["telephony.conference"], self.user_anna).create(
            {"name": "Anna's meeting", "kind": "meeting"}
        )
        name = f"{meeting._bridge_id()}-rec-0123456789ab"
        sim_control(self.simulator, "recordings", name=name, seconds=2)
        self.pbx._apply_ari_events(self._events("RecordingStarted", "RecordingFinished", name=name))
        self._fetch()
        attachment = self._recordings().filtered(lambda r: r.conference_id == meeting).attachment_id
        self.assertTrue(attachment)
        meeting.with_user(self.user_anna).unlink()
        self.assertFalse(attachment.exists())

    def test_the_file_is_read_only_through_the_player_that_logs_it(self):
        recording = self._stored()
        for user in (self.user_anna, self.manager, self.user_boris, self.plain_user):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self._as(recording.attachment_id, user).read(["raw"])
            attachments = self._as(self.env["ir.attachment"], user).search([("res_model", "=", "telephony.recording")])
            self.assertFalse(attachments)

    def test_nobody_writes_a_recording_or_its_file_by_rpc(self):
        recording = self._stored()
        for user in (self.user_anna, self.manager):
            with self.subTest(user=user.login):
                with self.assertRaises(AccessError):
                    self._as(recording, user).write({"state": "deleted"})
                with self.assertRaises(AccessError):
                    self._as(recording, user).unlink()
                with self.assertRaises(AccessError):
                    self._as(recording.attachment_id, user).write({"raw": b"forged"})
                with self.assertRaises(AccessError):
                    self._as(self.env["ir.attachment"], user).create(
                        {"name": "x.wav", "raw": b"x", "res_model": "telephony.recording", "res_id": recording.id}
                    )
                with self.assertRaises(AccessError):
                    self._as(self.env["telephony.recording"], user).create(
                        {"name": f"{KEY}-rec-ffffffffffff", "pbx_id": self.pbx.id, "company_id": self.company.id}
                    )

    def test_odd_announcements_are_refused(self):
        for media in ("sound:x,y", "sound:a\nb", "sound:tt-monkeys\n", "sound:tt-monkeys&sound:x", "http://x"):
            with self.subTest(media=media), self.assertRaisesRegex(ValidationError, "not a sound the PBX can play"):
                self.pbx.recording_announcement = media

    def test_another_companys_manager_cannot_start_or_stop_a_recording(self):
        self.company.telephony_recording_policy = "on_demand"
        other_manager = new_test_user(
            self.env,
            login="rec_attack_olga",
            groups="telephony.group_telephony_manager",
            company_id=self.other_company.id,
            company_ids=[(6, 0, [self.other_company.id])],
        )
        for action in ("action_start_recording", "action_stop_recording"):
            with self.subTest(action=action), self.assertRaises(AccessError):
                getattr(self._as(self.call, other_manager), action)()


@tagged("post_install", "-at_install")
class TestRecordingDownloadAttack(HttpCase):
    """The file over HTTP for the call's own user: every way to the whole file writes the chatter line."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = cls.env["res.company"].create({"name": "Telephony Attack Co"})
        cls.simulator = Simulator(port=0).start()
        cls.addClassCleanup(cls.simulator.stop)
        pbx = cls.env["telephony.pbx"].create(
            {"name": "Attack PBX", "ari_url": cls.simulator.url, "ari_password": "telephony", "company_id": company.id}
        )
        cls.anna = new_test_user(
            cls.env,
            login="att_anna",
            password="att_anna-pw-123",
            groups="telephony.group_telephony_user",
            company_id=company.id,
            company_ids=[(6, 0, [company.id])],
        )
        cls.call = cls.env["telephony.call"].create(
            {
                "pbx_id": pbx.id,
                "pbx_unique_id": KEY,
                "direction": "inbound",
                "user_id": cls.anna.id,
                "company_id": company.id,
                "caller_number": "+33612345678",
                "state": "answered",
                "start_date": "2026-12-01 10:00:00",
                "end_date": "2026-12-01 10:00:07",
            }
        )
        sim_control(cls.simulator, "recordings", name=NAME, seconds=2)
        pbx._apply_ari_events(
            [{"type": RECORDING_ENDED_REPORT, "timestamp": "2026-12-02T10:00:00.000+0000", "recording": {"name": NAME}}]
        )
        cls.env["telephony.recording"]._cron_fetch_recordings()
        cls.recording = cls.env["telephony.recording"].search([("name", "=", NAME)])
        cls.url = f"/telephony/recording/{cls.recording.id}"

    def setUp(self):
        super().setUp()
        self.authenticate("att_anna", "att_anna-pw-123")

    def _logged(self):
        return self.call.message_ids.filtered(lambda message: NAME in (message.body or ""))

    def test_a_range_header_trick_still_logs_the_playback(self):
        raw = self.recording.sudo().attachment_id.raw
        for header in ("bytes=00-", "BYTES=0-", "bytes = 0 - 10", "bytes=0-0"):
            with self.subTest(range=header):
                # Each as a playback of its own: the previous ones long ago (one listener's playback lasts minutes).
                self._logged().unlink()
                response = self.url_open(self.url, headers={"Range": header})
                self.assertEqual(response.status_code, 206)
                self.assertEqual(response.content, raw[: len(response.content)])
                self.assertEqual(len(self._logged()), 1, "the first byte was served: a playback")

    def test_a_range_odoo_refuses_serves_nothing_and_logs_nothing(self):
        for header in ("bytes=1-,0-0", "junk", "bytes=-99999999"):
            with self.subTest(range=header):
                response = self.url_open(self.url, headers={"Range": header})
                self.assertEqual(response.status_code, 416)
        self.assertFalse(self._logged())

    def test_an_if_range_that_does_not_match_still_logs_the_playback(self):
        response = self.url_open(self.url, headers={"Range": "bytes=1-", "If-Range": '"not-the-etag"'})
        self.assertEqual(response.status_code, 200, "a stale If-Range gets the whole file")
        self.assertEqual(len(self._logged()), 1, "the whole file was served: a playback")

    def test_a_later_range_is_not_a_new_playback(self):
        before = len(self._logged())
        self.assertEqual(self.url_open(self.url, headers={"Range": "bytes=100-"}).status_code, 206)
        self.assertEqual(len(self._logged()), before)

    def test_the_attachment_is_not_a_way_around_the_log(self):
        attachment = self.recording.sudo().attachment_id
        for url in (
            f"/web/content/{attachment.id}",
            f"/web/content/{attachment.id}?download=true",
            f"/web/content/ir.attachment/{attachment.id}/raw",
            f"/web/image/{attachment.id}",
        ):
            with self.subTest(url=url):
                # /web/image answers a placeholder image for what it may not show.
                self.assertNotEqual(self.url_open(url).content, attachment.raw)
        self.assertFalse(self._logged())

    def test_other_ids_and_states_answer_404(self):
        for recording_id in (self.recording.id + 1000, 0):
            self.assertEqual(self.url_open(f"/telephony/recording/{recording_id}").status_code, 404)
        self.recording.sudo().state = "to_fetch"
        self.assertEqual(self.url_open(self.url).status_code, 404)
        self.assertEqual(self.url_open("/telephony/recording/-1").status_code, 404)
        self.assertFalse(self._logged())


@tagged("post_install", "-at_install")
class TestSupervisionAttack(RecordingCase):
    def test_an_excluded_user_in_a_room_is_not_heard_through_another_participant(self):
        self.user_anna.telephony_supervision_excluded = True
        self.env["telephony.conference.participant"].create(
            {"conference_id": self.room.id, "user_id": self.user_anna.id, "state": "joined", "channel_id": "c-anna"}
        )
        boris_in_room = self._new_call(
            "1796000000.5",
            self.user_boris,
            state="answered",
            answer_date=fields.Datetime.now(),
            conference_id=self.room.id,
        )
        self.assertTrue(self._as_manager(boris_in_room).telephony_live_calls()[-1]["excluded"])
        with self.assertRaisesRegex(UserError, re.escape(self.user_anna.name)):
            self._as_manager(boris_in_room).action_supervise("listen")
        self.assertFalse(self.env["telephony.call.supervision"].search([("call_id", "=", boris_in_room.id)]))

    def _as_manager(self, records):
        return records.with_user(self.manager).with_context(allowed_company_ids=self.manager.company_ids.ids)

    def test_odd_modes_and_ended_calls_are_refused_by_name(self):
        for mode in ("spy", "", None, ["listen"], "LISTEN"):
            with self.subTest(mode=mode), self.assertRaisesRegex(UserError, "not a way to supervise"):
                self._as_manager(self.call).action_supervise(mode)
        self.call.end_date = fields.Datetime.now()
        with self.assertRaisesRegex(UserError, "not connected"):
            self._as_manager(self.call).action_supervise("listen")

    def test_payloads_carry_no_access_code_nor_sip_password(self):
        room_call = self._new_call("1796000000.6", self.user_boris, state="answered", conference_id=self.room.id)
        board = repr(self._as_manager(room_call).telephony_live_calls())
        card = repr(room_call.with_user(self.user_boris).telephony_caller_card())
        for text in (board, card):
            self.assertNotIn(self.room.sudo().access_code, text)
            self.assertNotIn("password", text.lower())
