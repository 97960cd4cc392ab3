import importlib.util
from datetime import datetime
from os import path

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.modules.module import get_module_path
from odoo.tests import Form, new_test_user, tagged

from .common import TelephonyCase


@tagged("post_install", "-at_install")
class TestRoomRights(TelephonyCase):
    """What a plain telephony user may do to rooms and meetings (issue 11, items 4 and 5)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.meeting = (
            cls.env["telephony.conference"]
            .with_user(cls.user_boris)
            .create({"name": "Boris's meeting", "kind": "meeting"})
        )

    def test_user_cannot_turn_their_meeting_into_a_room(self):
        meeting = self.meeting.with_user(self.user_boris)
        other_pbx = self.env["telephony.pbx"].create({"name": "Second PBX", "company_id": self.company.id})
        for field_name, value in (
            ("kind", "room"),
            ("extension", "8555"),
            ("creator_id", self.user_anna.id),
            ("company_id", self.other_company.id),
            ("pbx_id", other_pbx.id),
        ):
            with self.subTest(field=field_name), self.assertRaises(AccessError) as caught:
                meeting.write({field_name: value})
            self.assertIn(self.meeting._fields[field_name].string, str(caught.exception))
        self.assertRecordValues(
            self.meeting, [{"kind": "meeting", "extension": False, "creator_id": self.user_boris.id}]
        )

    def test_room_administrator_manages_the_room_but_not_what_it_is(self):
        room = self.room.with_user(self.user_anna)
        room.write({"name": "Board (renamed)", "wait_for_administrator": False})
        with self.assertRaisesRegex(AccessError, "Kind"):
            room.write({"kind": "meeting"})
        with self.assertRaisesRegex(AccessError, "Extension"):
            room.write({"extension": "8002"})
        with self.assertRaises(AccessError):
            room.unlink()
        self.assertTrue(self.room.exists())
        self.assertEqual((self.room.name, self.room.kind, self.room.extension), ("Board (renamed)", "room", "8001"))

    def test_creator_still_deletes_their_own_meeting(self):
        self.meeting.with_user(self.user_boris).unlink()
        self.assertFalse(self.meeting.exists())

    def test_manager_changes_and_deletes_rooms(self):
        room = self.room.with_user(self.manager)
        room.write({"extension": "8009", "kind": "room"})
        self.assertEqual(self.room.extension, "8009")
        room.unlink()
        self.assertFalse(self.room.exists())

    def test_migration_takes_unlink_away_from_administrators(self):
        rule = self.env.ref("telephony.telephony_conference_rule_user_write")
        rule.perm_unlink = True  # the rule as 18.0.1.1.0 installed it: noupdate, so upgrading keeps it
        script = path.join(get_module_path("telephony"), "migrations", "18.0.1.2.0", "post-security.py")
        spec = importlib.util.spec_from_file_location("telephony_post_security", script)
        migration = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(migration)
        migration.migrate(self.env.cr, "18.0.1.1.0")
        self.env.invalidate_all()
        self.assertFalse(rule.perm_unlink)
        with self.assertRaises(AccessError):
            self.room.with_user(self.user_anna).unlink()

    def test_archived_room_takes_no_invitation(self):
        self.room.active = False
        with self.assertRaisesRegex(UserError, "archived"):
            self.room.with_user(self.user_anna).action_invite(number="105")
        with self.assertRaisesRegex(UserError, "archived"):
            self.room.with_user(self.manager).action_invite(number="+33612345678")
        self.assertFalse(self.room.participant_ids)

    def test_archived_room_takes_no_call(self):
        incoming = self.env["telephony.incoming.number"].create(
            {"number": "+33 1 84 88 00 01", "conference_id": self.room.id, "company_id": self.company.id}
        )
        self.assertEqual(self.pbx._resolve_destination("8001", "+33612345678").get("conference_id"), self.room.id)
        self.assertEqual(self.pbx._resolve_destination(incoming.number, "+33612345678")["conference_id"], self.room.id)
        self.room.active = False
        for dialled in ("8001", incoming.number):
            with self.subTest(dialled=dialled):
                self.assertFalse(self.pbx._resolve_destination(dialled, "+33612345678").get("conference_id"))
                self.assertIsNone(self.pbx._route_call(dialled, "+33612345678", outbound=False))


@tagged("post_install", "-at_install")
class TestPbxRights(TelephonyCase):
    """Only managers test the PBX connection or read its errors; nobody else reads its address (item 6)."""

    def test_plain_user_cannot_test_the_connection(self):
        with self.assertRaises(AccessError):
            self.pbx.with_user(self.user_boris).action_test_connection()
        self.assertEqual(self.pbx.state, "unknown", "the refused test did not reach the PBX")

    def test_plain_user_cannot_read_the_last_error(self):
        self.pbx.with_user(self.manager).action_test_connection()
        self.assertIn("127.0.0.1:9", self.pbx.last_error)
        with self.assertRaises(AccessError):
            self.pbx.with_user(self.user_boris).read(["last_error"])
        self.assertNotIn("last_error", self.pbx.with_user(self.user_boris).fields_get())

    def test_pbx_failure_shown_to_a_user_hides_the_pbx_address(self):
        with self.assertRaises(UserError) as caught:
            self.room.with_user(self.user_anna).action_invite(number="+33612345678")
        message = str(caught.exception)
        self.assertIn(self.pbx.name, message)
        self.assertNotIn("127.0.0.1", message)
        self.assertNotIn("'telephony'", message, "nor its ARI user")
        with self.assertRaises(UserError) as caught:
            self.room.with_user(self.manager).action_end()
        self.assertIn("127.0.0.1:9", str(caught.exception), "a manager reads the details to fix the PBX")


@tagged("post_install", "-at_install")
class TestCallBackAssignee(TelephonyCase):
    """A call-back activity goes to someone who may open its record, in the call's company (item 7)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.call_back_type = cls.env.ref("telephony.mail_activity_type_call_back")
        cls.other_pbx = cls.env["telephony.pbx"].create({"name": "BE PBX", "company_id": cls.other_company.id})
        cls.other_manager = new_test_user(
            cls.env,
            login="be_manager_t",
            groups="telephony.group_telephony_manager",
            company_id=cls.other_company.id,
            company_ids=[(6, 0, [cls.other_company.id])],
        )
        (cls.company | cls.other_company).write({"telephony_followup_hours": 1})

    def _missed(self, key, user=None, **values):
        start = fields.Datetime.subtract(fields.Datetime.now(), hours=3)
        return self._new_call(
            key,
            self.user_anna if user is None else user,
            caller_number="+33655500100",
            state="missed",
            start_date=start,
            end_date=start,
            **values,
        )

    def _activity(self, record):
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", record._name),
                ("res_id", "=", record.id),
                ("activity_type_id", "=", self.call_back_type.id),
            ]
        )

    def test_team_member_who_cannot_open_the_call_does_not_get_it(self):
        self.company.telephony_followup_user_ids = self.user_boris
        unknown_caller = self._missed("cb-1")
        self.assertFalse(unknown_caller.with_user(self.user_boris).has_access("read"))
        self.env["telephony.call"]._cron_schedule_callbacks()
        activity = self._activity(unknown_caller)
        self.assertEqual(activity.user_id, self.user_anna, "the user the call rang may open it")
        unknown_caller.with_user(activity.user_id).check_access("read")

    def test_team_member_gets_the_call_back_on_a_contact_they_read(self):
        self.company.telephony_followup_user_ids = self.user_boris
        client = self.env["res.partner"].create(
            {"name": "Known caller", "phone": "+33655500100", "company_id": self.company.id}
        )
        call = self._missed("cb-2")
        self.assertEqual(call.partner_id, client)
        self.env["telephony.call"]._cron_schedule_callbacks()
        self.assertEqual(self._activity(client).user_id, self.user_boris)

    def test_call_that_rang_nobody_goes_to_a_manager_of_its_company(self):
        french = self._missed("cb-3", user=self.env["res.users"])
        belgian = self._missed(
            "cb-4", user=self.env["res.users"], pbx_id=self.other_pbx.id, company_id=self.other_company.id
        )
        self.env["telephony.call"]._cron_schedule_callbacks()
        self.assertEqual(self._activity(french).user_id, self.company._telephony_followup_fallback())
        self.assertEqual(self._activity(belgian).user_id, self.other_manager)
        for call in (french, belgian):
            assignee = self._activity(call).user_id
            self.assertIn(call.company_id, assignee.company_ids)
            call.with_user(assignee).check_access("read")
        self.assertEqual(self.other_company._telephony_followup_fallback(), self.other_manager)
        self.assertIn(self.company._telephony_followup_fallback(), self.company.user_ids)

    def test_call_back_note_tells_the_time_in_the_assignee_time_zone(self):
        self.user_anna.tz = "America/New_York"
        call = self._missed("cb-5")
        call.start_date = datetime(2026, 3, 1, 3, 30)
        self.env["telephony.call"]._cron_schedule_callbacks()
        note = self._activity(call).note
        self.assertIn("10:30", note, "03:30 UTC is 22:30 the day before in New York")
        self.assertIn("Feb 28", note)
        self.assertIn("America/New_York", note)
        self.assertNotIn("UTC", note)


@tagged("post_install", "-at_install")
class TestRoomFormRights(TelephonyCase):
    """The room form shows a plain user what they may not change as read-only, instead of refusing the save."""

    def test_a_user_sees_what_a_room_is_read_only_and_starts_meetings(self):
        room = self.env["telephony.conference"].create(
            {"name": "Board", "extension": "7901", "kind": "room", "company_id": self.company.id, "pbx_id": self.pbx.id}
        )
        room.administrator_id = self.user_anna
        with Form(room.with_user(self.user_anna)) as form:
            for field in ("kind", "extension", "pbx_id"):
                with self.subTest(field=field), self.assertRaises(AssertionError):
                    setattr(form, field, "meeting" if field == "kind" else False)
            form.wait_for_administrator = True  # what the administrator runs stays theirs to change
        self.assertTrue(room.wait_for_administrator)
        with Form(self.env["telephony.conference"].with_user(self.user_anna)) as form:
            form.name = "Anna's call"
            self.assertEqual(form.kind, "meeting", "a plain user starts a meeting, not a room they cannot make")
        with Form(self.env["telephony.conference"].with_user(self.manager)) as form:
            form.name = "Sales room"
            form.extension = "7902"
            self.assertEqual(form.kind, "room")
