"""Issue 11's rights and multi-company fixes, attacked as real users through the ORM and the UI's RPC methods.

Each test plays one way around a rule; those that held are kept so that they keep holding.
"""

import importlib.util
import re
from os import path
from unittest.mock import patch

import psycopg2

from odoo import SUPERUSER_ID, api, fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.modules.module import get_module_path
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from odoo.addons.mail.tools.discuss import Store

from ..pbx.ari import AriClient
from .common import TelephonyCase


@tagged("post_install", "-at_install")
class TestAttackConference(TelephonyCase):
    """A plain user, a room administrator and a meeting creator try to get a room or its code."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.meeting = (
            cls.env["telephony.conference"]
            .with_user(cls.user_boris)
            .create({"name": "Boris's meeting", "kind": "meeting"})
        )

    def test_a_user_cannot_squat_an_extension_with_a_new_meeting(self):
        """Extensions are manager-only after create: a meeting made with one would take it from the dial
        plan (no user or room of the company could get it any more)."""
        conferences = self.env["telephony.conference"].with_user(self.user_boris)
        with self.assertRaisesRegex(AccessError, "Extension"):
            conferences.create({"name": "Squat", "kind": "meeting", "extension": "8555"})
        self.user_anna.with_user(self.manager).telephony_extension = "8555"
        self.assertEqual(self.user_anna.telephony_extension, "8555")

    def test_a_room_administrator_cannot_archive_the_room(self):
        """Archiving takes a room out of service for everyone (calls to it hang up), as deleting it would:
        administrators no longer delete rooms, so they do not archive them either."""
        room = self.room.with_user(self.user_anna)
        with self.assertRaisesRegex(AccessError, "Active"):
            room.write({"active": False})
        with self.assertRaises(AccessError):
            room.action_archive()
        self.assertTrue(self.room.active)
        self.meeting.with_user(self.user_boris).action_archive()
        self.assertFalse(self.meeting.active)
        self.room.with_user(self.manager).action_archive()
        self.assertFalse(self.room.active)

    def test_create_with_the_id_of_a_room_does_not_touch_the_room(self):
        conferences = self.env["telephony.conference"].with_user(self.user_boris)
        try:
            created = conferences.create({"id": self.room.id, "name": "Overwrite", "kind": "meeting"})
        except (AccessError, ValueError):
            created = conferences
        self.assertNotEqual(created.id, self.room.id)
        self.env.invalidate_all(flush=False)
        self.assertRecordValues(self.room, [{"name": "Board", "kind": "room", "extension": "8001"}])

    def test_copying_a_room_gives_a_user_no_room_and_no_extension(self):
        room = self.room.with_user(self.user_anna)  # its administrator
        for default in ({"extension": "8556"}, {"kind": "meeting", "creator_id": self.user_anna.id}):
            with self.subTest(default=default), self.assertRaises(Exception) as caught:
                room.copy(default)
            self.assertIsInstance(caught.exception, (AccessError, ValidationError))
        copy = room.copy({"kind": "meeting", "creator_id": self.user_anna.id, "extension": False})
        self.assertEqual((copy.kind, copy.extension, copy.administrator_access_code), ("meeting", False, False))

    def test_a_meeting_creator_cannot_take_an_incoming_number_or_add_participants(self):
        incoming = self.env["telephony.incoming.number"].create(
            {"number": "+33 1 84 88 00 02", "conference_id": self.room.id, "company_id": self.company.id}
        )
        meeting = self.meeting.with_user(self.user_boris)
        with self.assertRaises(AccessError):
            meeting.write({"incoming_number_ids": [(4, incoming.id)]})
        with self.assertRaises(AccessError):
            meeting.write({"participant_ids": [(0, 0, {"user_id": self.user_boris.id, "state": "joined"})]})
        self.assertEqual(incoming.conference_id, self.room)

    def test_access_code_does_not_leak_through_search_group_or_chatter(self):
        self.env.cr.precommit.run()  # a room created in this transaction is not tracked: end its creation
        self.room.with_user(self.manager).access_code = "1357"
        self.env.cr.precommit.run()  # writes the tracking message, as the end of the request would
        self.env.invalidate_all()
        rooms = self.env["telephony.conference"].with_user(self.user_boris)
        with self.assertRaises(AccessError):
            rooms.search([("access_code", "=like", "1%")])
        with self.assertRaises(AccessError):
            self.env["telephony.conference.participant"].with_user(self.user_boris).search(
                [("conference_id.access_code", "=", "1357")]
            )
        with self.assertRaises(AccessError):
            rooms.read_group([], ["access_code"], ["access_code"])
        with self.assertRaises(AccessError):
            rooms.read_group([], ["access_code:array_agg"], ["name"])
        with self.assertRaises(AccessError):
            rooms.search([], order="access_code")
        self.user_boris.groups_id |= self.env.ref("base.group_allow_export")
        with self.assertRaises(AccessError):
            rooms.browse(self.room.id).export_data(["access_code"])
        messages = self.room.message_ids.with_user(self.user_boris)
        as_boris = str(Store(messages, for_current_user=True).get_result())
        as_manager = str(Store(messages.with_user(self.manager), for_current_user=True).get_result())
        self.assertIn("1357", as_manager, "the change is tracked, for managers")
        self.assertNotIn("1357", as_boris)
        self.assertNotIn("2468", as_boris)

    def test_onchange_does_not_show_the_access_code_to_a_would_be_administrator(self):
        """A form's onchange computes on a copy of the record with the values typed in the form: making
        oneself the administrator there must not reveal the code (the copy reads it from the room)."""
        room = self.room.with_user(self.user_boris)
        result = room.onchange(
            {"administrator_id": self.user_boris.id},
            ["administrator_id"],
            {"administrator_id": {}, "administrator_access_code": {}, "is_current_user_administrator": {}},
        )
        self.assertNotIn("2468", str(result))
        new = self.env["telephony.conference"].with_user(self.user_boris)
        result = new.onchange(
            {"administrator_id": self.user_boris.id, "kind": "meeting"},
            ["administrator_id"],
            {"administrator_id": {}, "administrator_access_code": {}},
        )
        self.assertNotIn("2468", str(result))

    def test_pbx_secrets_cannot_be_guessed_by_search(self):
        pbxs = self.env["telephony.pbx"].with_user(self.user_anna)
        for domain in ([("ari_password", "=like", "s%")], [("ari_url", "ilike", "127")], [("last_error", "!=", False)]):
            with self.subTest(domain=domain), self.assertRaises(AccessError):
                pbxs.search(domain)
        with self.assertRaises(AccessError):
            pbxs.read_group([], ["ari_user"], ["ari_user"])
        with self.assertRaises(AccessError):
            pbxs.browse(self.pbx.id).onchange({"name": "x"}, ["name"], {"name": {}, "ari_password": {}})
        with self.assertRaises(AccessError):
            pbxs.browse(self.pbx.id).web_read({"ari_password": {}, "last_error": {}})
        for action in ("action_generate_webhook_secret", "action_disable_webhook", "action_test_connection"):
            with self.subTest(action=action), self.assertRaises(AccessError):
                getattr(pbxs.browse(self.pbx.id), action)()

    def test_nobody_moderates_a_room_they_do_not_run(self):
        participant = self.env["telephony.conference.participant"].create(
            {"conference_id": self.room.id, "user_id": self.user_anna.id, "state": "joined", "channel_id": "c-1"}
        )
        room = self.room.with_user(self.user_boris)
        for action in (
            lambda: room.action_kick(participant.id),
            lambda: room.action_mute(participant.id),
            lambda: room.action_end(),
            lambda: room.action_invite(number="202"),
            lambda: room.action_invite(user_id=self.user_boris.id),
        ):
            with self.assertRaises(AccessError):
                action()
        self.assertEqual((participant.state, participant.muted), ("joined", False))

    def test_a_participant_the_moderator_muted_cannot_unmute_themselves(self):
        """Everyone may mute themselves and unmute again; a mute the moderator imposed only the moderator lifts
        (README: the creator or administrator mutes and unmutes, everyone mutes themselves and leaves)."""
        participant = self.env["telephony.conference.participant"].create(
            {"conference_id": self.room.id, "user_id": self.user_boris.id, "state": "joined", "channel_id": "c-2"}
        )
        as_boris = participant.with_user(self.user_boris)
        with (
            patch.object(AriClient, "mute", autospec=True, return_value=None),
            patch.object(AriClient, "unmute", autospec=True, return_value=None),
        ):
            as_boris.action_mute_self(True)
            as_boris.action_mute_self(False)
            self.assertFalse(participant.muted, "a participant unmutes a mute of their own")
            self.room.with_user(self.user_anna).action_mute(participant.id, True)
            with self.assertRaises(AccessError):
                as_boris.action_mute_self(False)
            self.assertTrue(participant.muted)
            self.assertTrue(participant._telephony_payload()["muted_by_moderator"], "the window can say so")
            self.room.with_user(self.user_anna).action_mute(participant.id, False)
            as_boris.action_mute_self(True)
            as_boris.action_mute_self(False)
        self.assertFalse(participant.muted)

    def test_the_invite_wizard_is_no_way_around_moderation(self):
        anna_meeting = (
            self.env["telephony.conference"].with_user(self.user_anna).create({"name": "Anna", "kind": "meeting"})
        )
        wizards = self.env["telephony.conference.invite"].with_user(self.user_boris)
        for conference in (self.room, anna_meeting):
            with self.subTest(conference=conference.name), self.assertRaises(AccessError):
                wizards.with_context(active_id=conference.id).create({"number": "202"}).action_invite()
        self.assertFalse((self.room | anna_meeting).participant_ids)

    def test_a_user_cannot_hear_someone_elses_meeting(self):
        anna_meeting = (
            self.env["telephony.conference"].with_user(self.user_anna).create({"name": "Anna", "kind": "meeting"})
        )
        with self.assertRaises(AccessError):
            anna_meeting.with_user(self.user_boris).action_invite(user_id=self.user_boris.id)
        with self.assertRaises(AccessError):
            anna_meeting.with_user(self.user_boris).write({"administrator_id": self.user_boris.id})
        self.assertFalse(anna_meeting.participant_ids)

    def test_a_user_of_another_company_reaches_no_room_of_this_one(self):
        be_user = new_test_user(
            self.env,
            login="be_outsider_t",
            groups="telephony.group_telephony_user",
            company_id=self.other_company.id,
            company_ids=[(6, 0, [self.other_company.id])],
        )
        room = self.room.with_user(be_user)
        for action in (
            lambda: room.read(["name"]),
            lambda: room.action_invite(number="+32470000000"),
            lambda: room.action_end(),
            lambda: room.write({"name": "Taken"}),
        ):
            with self.assertRaises(AccessError):
                action()
        conferences = self.env["telephony.conference"].with_user(be_user)
        self.assertFalse(conferences.telephony_my_live_conferences(shown_ids=[self.room.id])["conferences"])
        self.assertFalse(self.env["telephony.call"].with_user(be_user).telephony_search_targets("Board"))

    def test_a_room_administrator_does_not_invite_a_user_of_another_company(self):
        """Extensions are per company: the French PBX would ring the French holder of the Belgian user's
        extension, journaled as the Belgian user."""
        be_user = new_test_user(
            self.env,
            login="be_attack_t",
            groups="telephony.group_telephony_user",
            company_id=self.other_company.id,
            company_ids=[(6, 0, [self.other_company.id])],
        )
        be_user.telephony_extension = self.user_boris.telephony_extension
        with self.assertRaisesRegex(UserError, "Telephony FR") as caught:
            self.room.with_user(self.user_anna).action_invite(user_id=be_user.id)
        self.assertIn(be_user.name, str(caught.exception))
        self.assertFalse(self.room.participant_ids)
        # A multi-company user inviting a Belgian colleague: the French PBX calls their phone, not the extension.
        employee = self.env["hr.employee"].create(
            {
                "name": "Belgian colleague",
                "user_id": be_user.id,
                "company_id": self.other_company.id,
                "work_phone": "+32 2 555 00 00",
            }
        )
        self.assertEqual(self.room._dial_target(employee=employee)[:2], ("+3225550000", False))


@tagged("post_install", "-at_install")
class TestAttackUsers(TelephonyCase):
    """Telephony settings and extensions: other users', other companies', and at the same time."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.be_user = new_test_user(
            cls.env,
            login="be_only_t",
            groups="telephony.group_telephony_user",
            company_id=cls.other_company.id,
            company_ids=[(6, 0, [cls.other_company.id])],
        )
        cls.be_user.telephony_extension = "301"

    def test_extensions_and_access_codes_are_keypad_digits(self):
        """Python's \\d takes any Unicode digit: an Arabic-Indic "٢٠١" passed as an extension no phone can
        dial (beside the real 201), and an access code nobody can type locks a room."""
        with self.assertRaisesRegex(ValidationError, "3 to 5 digits"):
            self.user_boris.with_user(self.manager).telephony_extension = "\u0662\u0660\u0661"
        with self.assertRaisesRegex(ValidationError, "0-9"):
            self.room.with_user(self.user_anna).administrator_access_code = "\u0661\u0662\u0663\u0664"
        self.env.invalidate_all(flush=False)  # the refused value stays in the cache, not in the database
        self.assertEqual(self.room.access_code, "2468")

    def test_a_user_cannot_change_a_colleagues_telephony_settings(self):
        for values in ({"telephony_extension": "299"}, {"telephony_enabled": True}):
            with self.subTest(values=values), self.assertRaises(AccessError):
                self.user_boris.with_user(self.user_anna).write(values)
        with self.assertRaises(AccessError):
            self.user_anna.with_user(self.user_anna).write({"telephony_extension": "299"})
        self.assertEqual((self.user_anna.telephony_extension, self.user_boris.telephony_extension), ("201", "202"))

    def test_a_telephony_manager_does_not_reach_users_of_another_company(self):
        """The manager's shortcut writes through sudo: it must stop at the manager's companies, as
        everything else a telephony manager does."""
        with self.assertRaises(AccessError):
            self.be_user.with_user(self.manager).write({"telephony_extension": "302"})
        with self.assertRaises(AccessError):
            self.be_user.with_user(self.manager).write({"telephony_enabled": True})
        self.assertEqual(self.be_user.telephony_extension, "301")
        self.user_anna.with_user(self.manager).write({"telephony_extension": "211"})
        self.assertEqual(self.user_anna.telephony_extension, "211")

    def test_a_user_without_telephony_rights_places_no_call(self):
        """A user taken out of the telephony group keeps their extension (and may turn calling on for
        themselves): action_dial must still refuse them before the PBX is asked."""
        self.plain_user.sudo().telephony_extension = "204"
        self.plain_user.with_user(self.plain_user).telephony_enabled = True
        calls = self.env["telephony.call"].with_user(self.plain_user)
        with patch.object(AriClient, "originate", autospec=True, return_value={}), self.assertRaises(AccessError):
            calls.action_dial("+33612345678")
        self.assertFalse(self.env["telephony.call"].search([("user_id", "=", self.plain_user.id)]))

    def test_a_typed_number_adds_no_pbx_argument(self):
        """ARI joins a channel's application arguments with commas, and phonenumbers reads "+33612345678,201"
        as a valid number: passed on raw, the number adds an argument that the listener takes for the placing
        user's extension, so Boris's call would come from Anna's 201 (her rooms' administrator, her journal)."""
        self.user_boris.with_user(self.user_boris).telephony_enabled = True
        originated = []

        def originate(client, endpoint, **values):
            originated.append(values)
            return {}

        with patch.object(AriClient, "originate", autospec=True, side_effect=originate):
            self.env["telephony.call"].with_user(self.user_boris).action_dial("+33612345678,201")
        self.assertEqual(",".join(originated[0]["app_args"]).split(","), ["dial", "+33612345678", "202"])

    def test_a_portal_user_gets_nothing_from_the_widget(self):
        portal = new_test_user(self.env, login="portal_t", groups="base.group_portal", company_id=self.company.id)
        calls = self.env["telephony.call"].with_user(portal)
        self.assertEqual(calls.telephony_widget_data()["enabled"], False)
        for action in (
            lambda: calls.telephony_search_targets("Board"),
            lambda: self.env["telephony.timeline"].with_user(portal).get_feed(number="+33612345678"),
            lambda: self.room.with_user(portal).action_invite(number="202"),
            lambda: self.env["telephony.conference"].with_user(portal).action_start_meeting([]),
        ):
            with self.assertRaises(AccessError):
                action()

    def test_adding_a_user_to_a_company_from_the_company_keeps_extensions_unique(self):
        """Adding a user to a company where their extension is taken is refused from the user's side;
        the company's side of the same many2many must not slip past it."""
        self.env["telephony.conference"].create(
            {"name": "BE room", "extension": "201", "company_id": self.other_company.id}
        )
        with self.assertRaisesRegex(ValidationError, "201"):
            self.other_company.write({"user_ids": [(4, self.user_anna.id)]})
        with self.assertRaisesRegex(ValidationError, "201"):
            self.user_anna.write({"company_ids": [(4, self.other_company.id)]})

    def test_two_transactions_cannot_take_the_same_extension(self):
        """The extension check reads a snapshot: without a guard, two transactions that began before
        either committed both find the extension free. The second must fail (a serialization failure
        that Odoo's RPC retries, whose check then names the first holder)."""
        extension = "89731"
        first, second = self.registry.cursor(), self.registry.cursor()
        try:
            for cr in (first, second):
                cr.execute("SET lock_timeout = '10s'")
            second.execute("SELECT count(*) FROM telephony_conference")  # its snapshot: before the first commits
            api.Environment(first, SUPERUSER_ID, {})["telephony.conference"].create(
                {"name": "First", "extension": extension}
            )
            first.commit()  # pylint: disable=invalid-commit
            with self.assertRaises(Exception) as caught, mute_logger("odoo.sql_db"):
                env = api.Environment(second, SUPERUSER_ID, {})
                env["telephony.conference"].create({"name": "Second", "extension": extension})
                env.flush_all()
            self.assertIsInstance(caught.exception, (ValidationError, psycopg2.errors.SerializationFailure))
            second.rollback()  # what Odoo does before it runs the request again
            with self.assertRaisesRegex(ValidationError, "First"):
                api.Environment(second, SUPERUSER_ID, {})["telephony.conference"].create(
                    {"name": "Second", "extension": extension}
                )
        finally:
            second.rollback()
            second.close()
            first.rollback()
            env = api.Environment(first, SUPERUSER_ID, {})
            env["telephony.conference"].with_context(active_test=False).search([("extension", "=", extension)]).unlink()
            env.flush_all()
            first.commit()  # pylint: disable=invalid-commit
            first.close()


@tagged("post_install", "-at_install")
class TestAttackMigration(TelephonyCase):
    """The 18.0.1.2.0 migration on a database whose administrator changed the old noupdate rule."""

    def _migrate(self):
        script = path.join(get_module_path("telephony"), "migrations", "18.0.1.2.0", "post-security.py")
        spec = importlib.util.spec_from_file_location("telephony_post_security", script)
        migration = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(migration)
        migration.migrate(self.env.cr, "18.0.1.1.0")
        self.env.invalidate_all()

    def test_migration_keeps_a_stricter_rule_an_administrator_wrote(self):
        """Only unlink changed: a domain the administrator narrowed (creators no longer change their rooms)
        must not be widened back by the upgrade."""
        rule = self.env.ref("telephony.telephony_conference_rule_user_write")
        stricter = "[('administrator_id', '=', user.id)]"
        rule.write({"perm_unlink": True, "domain_force": stricter, "name": "Only administrators"})
        self._migrate()
        self.assertEqual((rule.domain_force, rule.name, rule.perm_unlink), (stricter, "Only administrators", False))
        meeting = (
            self.env["telephony.conference"].with_user(self.user_boris).create({"name": "Boris", "kind": "meeting"})
        )
        with self.assertRaises(AccessError):
            meeting.with_user(self.user_boris).write({"name": "Renamed"})

    def test_migration_survives_a_rule_the_administrator_deleted(self):
        self.env.ref("telephony.telephony_conference_rule_user_write").unlink()
        self._migrate()
        self.assertFalse(self.env.ref("telephony.telephony_conference_rule_user_write", raise_if_not_found=False))


@tagged("post_install", "-at_install")
class TestAttackCallBack(TelephonyCase):
    """A call-back team holding a user of another company (item 7 with item 8)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.be_user = new_test_user(
            cls.env,
            login="be_callback_t",
            groups="telephony.group_telephony_user",
            company_id=cls.other_company.id,
            company_ids=[(6, 0, [cls.other_company.id])],
        )
        cls.company.telephony_followup_hours = 1
        cls.shared_client = cls.env["res.partner"].create({"name": "Shared client", "phone": "+33655500200"})

    def _missed_call(self, key):
        start = fields.Datetime.subtract(fields.Datetime.now(), hours=3)
        return self._new_call(
            key, self.user_anna, caller_number="+33655500200", state="missed", start_date=start, end_date=start
        )

    def _call_back_assignee(self, record):
        call_back = self.env.ref("telephony.mail_activity_type_call_back")
        return (
            self.env["mail.activity"]
            .search(
                [("res_model", "=", record._name), ("res_id", "=", record.id), ("activity_type_id", "=", call_back.id)]
            )
            .user_id
        )

    def test_a_company_call_back_team_holds_only_its_users(self):
        with self.assertRaisesRegex(ValidationError, re.escape(self.be_user.name)):
            self.company.telephony_followup_user_ids = self.be_user
        self.company.telephony_followup_user_ids = self.user_boris
        self.assertEqual(self.company.telephony_followup_user_ids, self.user_boris)

    def test_a_team_member_who_left_the_company_gets_no_call_back(self):
        """A member of the French team who now works only for the Belgian company still reads a shared
        contact, but a French missed call is not theirs to call back (nor its number and time theirs to read)."""
        self.company.telephony_followup_user_ids = self.user_boris
        self.user_boris.write({"company_ids": [(6, 0, [self.other_company.id])], "company_id": self.other_company.id})
        call = self._missed_call("cb-attack-1")
        self.assertEqual(call.partner_id, self.shared_client)
        self.env["telephony.call"]._cron_schedule_callbacks()
        self.assertEqual(self._call_back_assignee(self.shared_client), self.user_anna)
