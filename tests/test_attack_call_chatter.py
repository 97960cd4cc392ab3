"""Attacks on the call's chatter since calls take post access 'read': whoever reads a call may post on it and
handle its activities, nobody else; its recordings stay behind their player, and its playbacks stay noted."""

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from .test_recording import NAME, RecordingCase


@tagged("post_install", "-at_install")
class TestAttackCallChatter(RecordingCase):
    """Anna's answered call with a stored recording; Boris (same company), a user of the other company, a
    manager of the other company, an employee without telephony, a portal user."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.be_user = new_test_user(
            cls.env,
            login="be_chatter_t",
            groups="telephony.group_telephony_user",
            company_id=cls.other_company.id,
            company_ids=[(6, 0, [cls.other_company.id])],
        )
        cls.be_manager = new_test_user(
            cls.env,
            login="be_chatter_manager_t",
            groups="telephony.group_telephony_manager",
            company_id=cls.other_company.id,
            company_ids=[(6, 0, [cls.other_company.id])],
        )
        cls.portal_user = new_test_user(
            cls.env, login="portal_chatter_t", groups="base.group_portal", company_id=cls.company.id
        )
        cls.call_back = cls.env.ref("telephony.mail_activity_type_call_back")

    def setUp(self):
        super().setUp()
        self.recording = self._finished_recording()
        self._fetch()
        self.activity = self.call.activity_schedule(
            activity_type_id=self.call_back.id, summary="Call back", user_id=self.user_anna.id
        )
        self.note = self.call.message_post(body="Caller wants a quote", message_type="comment")

    def _as(self, records, user):
        """``records`` as ``user`` reaches them over RPC, in the companies they work for."""
        return records.with_user(user).with_context(allowed_company_ids=user.company_ids.ids)

    def _strangers(self):
        return (self.user_boris, self.be_user, self.be_manager, self.plain_user, self.portal_user)

    def test_only_who_reads_the_call_posts_on_it(self):
        posted = self._as(self.call, self.user_anna).message_post(body="Called back", message_type="comment")
        self.assertEqual(posted.author_id, self.user_anna.partner_id)
        managed = self._as(self.call, self.manager).message_post(body="Seen", message_type="comment")
        self.assertEqual(managed.model, "telephony.call")
        for stranger in self._strangers():
            with self.subTest(user=stranger.login):
                # The chatter's /mail/message/post and /mail/attachment/upload look the thread up this way.
                Call = self._as(self.env["telephony.call"], stranger)
                self.assertFalse(Call._get_thread_with_access(self.call.id, mode=Call._mail_post_access))
                with self.assertRaises(AccessError), mute_logger("odoo.addons.base.models.ir_model"):
                    self._as(self.call, stranger).message_post(body="Hello", message_type="comment")

    def test_nobody_else_reads_its_messages_or_attachments(self):
        attachment = self.env["ir.attachment"].create(
            {"name": "quote.txt", "raw": b"quote", "res_model": "telephony.call", "res_id": self.call.id}
        )
        self.assertEqual(self._as(attachment, self.user_anna).raw, b"quote")
        for stranger in self._strangers():
            with self.subTest(user=stranger.login):
                Message = self._as(self.env["mail.message"], stranger)
                self.assertFalse(Message.search([("model", "=", "telephony.call"), ("res_id", "=", self.call.id)]))
                with self.assertRaises(AccessError):
                    self._as(self.note, stranger).read(["body"])
                with self.assertRaises(AccessError):
                    self._as(attachment, stranger).read(["raw"])

    def test_nobody_else_sees_or_handles_its_activities(self):
        self.assertEqual(self._as(self.activity, self.manager).search([("id", "=", self.activity.id)]), self.activity)
        for stranger in self._strangers():
            with self.subTest(user=stranger.login):
                activity = self._as(self.activity, stranger)
                if stranger != self.portal_user:
                    self.assertFalse(activity.search([("res_model", "=", "telephony.call")]))
                with self.assertRaises(AccessError):
                    activity.read(["summary", "note"])
                with self.assertRaises(AccessError):
                    activity.write({"date_deadline": fields.Date.today()})
                with self.assertRaises(AccessError):
                    activity.action_feedback(feedback="done")
                with self.assertRaises(AccessError):
                    activity.unlink()
                with self.assertRaises(AccessError):
                    self._as(self.call, stranger).activity_schedule(
                        activity_type_id=self.call_back.id, user_id=stranger.id
                    )
        self.assertTrue(self.activity.exists())

    def test_nobody_follows_a_call_they_may_not_read(self):
        for stranger in self._strangers():
            with self.subTest(user=stranger.login):
                self.assertFalse(
                    self._as(self.call, stranger).message_subscribe(partner_ids=stranger.partner_id.ids)
                )
                self.assertNotIn(stranger.partner_id, self.call.message_partner_ids)
        with self.assertRaises(AccessError):
            self._as(self.call, self.user_anna).message_subscribe(partner_ids=self.user_boris.partner_id.ids)
        self.assertNotIn(self.user_boris.partner_id, self.call.message_partner_ids)

    def test_posting_on_the_call_does_not_open_its_recording(self):
        """A recording's file is the recording's attachment: posting on its call, even linking the file to the
        message, reaches it neither through ir.attachment nor through the chatter's attachment check."""
        file = self.recording.attachment_id
        anna_call = self._as(self.call, self.user_anna)
        with self.assertRaises(UserError):
            self._as(file, self.user_anna)._check_attachments_access(None)
        anna_call.message_post(body="here", message_type="comment", attachment_ids=file.ids)
        self.assertEqual(file.sudo().res_model, "telephony.recording", "the file stays the recording's")
        for user in (self.user_anna, self.manager, self.user_boris):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self._as(file, user).read(["raw"])

    def test_a_note_does_not_stand_for_a_playback(self):
        """A manager who may post on any call writes the playback's line themselves, then plays the recording
        and rewrites their note: the playback must still be noted on the call."""
        message = f"Recording {NAME} played by {self.manager.name}."
        manager_call = self._as(self.call, self.manager)
        decoy = manager_call.message_post(body=message, message_type="comment", subtype_xmlid="mail.mt_note")
        self._as(self.recording, self.manager)._log_playback(download=False)
        manager_call._message_update_content(decoy, body="ok")
        logged = self.call.message_ids.filtered(lambda posted: NAME in (posted.body or ""))
        self.assertEqual(len(logged), 1, "the playback is noted on the call, whatever its listener wrote there")
        self.assertEqual(logged.author_id, self.manager.partner_id)
        self.assertEqual(logged.message_type, "notification")

    def test_a_plain_users_dashboard_filters_count_only_their_own_call_backs(self):
        """Users and teams a plain user picks narrow their own call-backs: never a colleague's, and no error
        for a user who reads no employee."""
        sales = self.env["hr.department"].create({"name": "Sales", "company_id": self.company.id})
        for user in (self.user_anna, self.user_boris):
            self.env["hr.employee"].create(
                {"name": user.name, "user_id": user.id, "department_id": sales.id, "company_id": self.company.id}
            )
        client = self.env["res.partner"].create({"name": "Boris's client"})
        client.activity_schedule(activity_type_id=self.call_back.id, user_id=self.user_boris.id)
        self.user_anna.telephony_enabled = True
        dashboard = self._as(self.env["telephony.dashboard"], self.user_anna)
        for filters, count in (
            ({}, 1),
            ({"user_ids": [self.user_boris.id]}, 0),
            ({"department_ids": [sales.id]}, 1),
            ({"user_ids": [self.user_boris.id], "department_ids": [sales.id]}, 0),
        ):
            with self.subTest(**filters):
                followups = dashboard.get_dashboard_data("today", **filters)["followups_open"]
                self.assertEqual(followups["count"], count)
                listed = self._as(self.env["mail.activity"], self.user_anna).search(followups["domain"])
                self.assertEqual(listed, self.activity if count else self.env["mail.activity"])
