from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import TelephonyCase


@tagged("post_install", "-at_install")
class TestSecurity(TelephonyCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.call_anna = cls._new_call("1700000001.1", cls.user_anna)
        cls.call_boris = cls._new_call("1700000001.2", cls.user_boris)

    def test_user_sees_only_their_own_calls(self):
        calls = self.env["telephony.call"].with_user(self.user_anna).search([])
        self.assertEqual(calls, self.call_anna)
        with self.assertRaises(AccessError):
            self.call_boris.with_user(self.user_anna).read(["caller_number"])

    def test_manager_sees_every_call(self):
        calls = self.env["telephony.call"].with_user(self.manager).search([])
        self.assertGreaterEqual(calls, self.call_anna | self.call_boris)

    def test_nobody_edits_the_journal_by_hand(self):
        for user in (self.user_anna, self.manager):
            with self.subTest(user=user.login):
                with self.assertRaises(AccessError):
                    self.call_anna.with_user(user).write({"state": "missed"})
                with self.assertRaises(AccessError):
                    self.env["telephony.call"].with_user(user).create(
                        {"pbx_id": self.pbx.id, "pbx_unique_id": "forged", "direction": "inbound"}
                    )
        self.assertEqual(self.call_anna.state, "ringing")

    def test_calls_of_another_company_stay_hidden_even_from_managers(self):
        other_pbx = self.env["telephony.pbx"].create({"name": "BE PBX", "company_id": self.other_company.id})
        other_call = self._new_call(
            "1700000001.3", self.manager, pbx_id=other_pbx.id, company_id=self.other_company.id, user_id=False
        )
        visible = self.env["telephony.call"].with_user(self.manager).search([])
        self.assertNotIn(other_call, visible)

    def test_internal_user_without_telephony_rights_reads_nothing(self):
        for model in ("telephony.call", "telephony.conference", "telephony.pbx", "telephony.incoming.number"):
            with self.subTest(model=model), self.assertRaises(AccessError):
                self.env[model].with_user(self.plain_user).search([])

    def test_plain_user_cannot_read_a_room_access_code(self):
        room = self.room.with_user(self.user_boris)
        with self.assertRaises(AccessError):
            room.read(["access_code"])
        self.assertFalse(room.administrator_access_code)
        self.assertTrue(room.has_access_code, "users learn that a code is needed, not the code")

    def test_room_administrator_reads_and_changes_the_access_code(self):
        room = self.room.with_user(self.user_anna)
        self.assertEqual(room.administrator_access_code, "2468")
        room.administrator_access_code = "1357"
        self.assertEqual(self.room.access_code, "1357")
        with self.assertRaises(AccessError):
            room.read(["access_code"])

    def test_plain_user_cannot_change_a_room_they_do_not_administer(self):
        with self.assertRaises(AccessError):
            self.room.with_user(self.user_boris).write({"administrator_access_code": "0000"})
        with self.assertRaises(AccessError):
            self.room.with_user(self.user_boris).write({"name": "Hijacked"})
        self.assertEqual(self.room.access_code, "2468")

    def test_manager_reads_and_sets_access_codes(self):
        room = self.room.with_user(self.manager)
        self.assertEqual(room.access_code, "2468")
        room.access_code = "9999"
        self.assertEqual(room.administrator_access_code, "9999")

    def test_users_create_meetings_but_not_rooms(self):
        conferences = self.env["telephony.conference"].with_user(self.user_boris)
        meeting = conferences.create({"name": "Boris's meeting", "kind": "meeting"})
        self.assertEqual(meeting.creator_id, self.user_boris)
        with self.assertRaises(AccessError):
            conferences.create({"name": "Rogue room", "extension": "8500"})

    def test_meetings_are_seen_by_their_creator_and_participants_only(self):
        meeting = (
            self.env["telephony.conference"]
            .with_user(self.user_boris)
            .create({"name": "Private meeting", "kind": "meeting"})
        )
        self.assertNotIn(meeting, self.env["telephony.conference"].with_user(self.user_anna).search([]))
        self.env["telephony.conference.participant"].create(
            {"conference_id": meeting.id, "user_id": self.user_anna.id, "state": "joined"}
        )
        self.assertIn(meeting, self.env["telephony.conference"].with_user(self.user_anna).search([]))
        participants = (
            self.env["telephony.conference.participant"]
            .with_user(self.user_anna)
            .search([("conference_id", "=", meeting.id)])
        )
        self.assertEqual(participants.user_id, self.user_anna)

    def test_users_cannot_change_participants_directly(self):
        participant = self.env["telephony.conference.participant"].create(
            {"conference_id": self.room.id, "user_id": self.user_boris.id, "state": "joined"}
        )
        with self.assertRaises(AccessError):
            participant.with_user(self.user_anna).write({"muted": True})

    def test_pbx_credentials_are_for_managers_only(self):
        pbx = self.pbx.with_user(self.user_anna)
        self.assertEqual(pbx.name, "Test PBX")
        for field_name in ("ari_password", "ari_user", "ari_url"):
            with self.subTest(field=field_name), self.assertRaises(AccessError):
                pbx.read([field_name])
        with self.assertRaises(AccessError):
            pbx.write({"name": "Renamed"})
        self.assertEqual(self.pbx.with_user(self.manager).ari_password, "secret")

    def test_incoming_numbers_are_configured_by_managers(self):
        values = {"number": "+33 1 84 88 00 09", "destination_type": "conference", "conference_id": self.room.id}
        with self.assertRaises(AccessError):
            self.env["telephony.incoming.number"].with_user(self.user_anna).create(values)
        incoming = self.env["telephony.incoming.number"].with_user(self.manager).create(values)
        self.assertEqual(incoming.with_user(self.user_anna).number, "+33184880009")

    def test_widget_and_window_stay_quiet_for_users_without_telephony(self):
        """Every internal user loads the web client: asking for the widget's data must not fail for them."""
        self.assertEqual(
            self.env["telephony.conference"].with_user(self.plain_user).telephony_my_live_conferences()["conferences"],
            [],
        )
        data = self.env["telephony.call"].with_user(self.plain_user).telephony_widget_data()
        self.assertEqual((data["enabled"], data["recent_calls"]), (False, []))
