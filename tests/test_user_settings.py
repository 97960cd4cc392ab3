from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import TelephonyCase


@tagged("post_install", "-at_install")
class TestUserSettings(TelephonyCase):
    def test_user_edits_their_own_settings_without_admin_rights(self):
        anna = self.user_anna.with_user(self.user_anna)
        anna.write(
            {
                "telephony_enabled": True,
                "telephony_incoming_action": "timeline",
                "telephony_outgoing_action": "partner",
                "telephony_unknown_action": "timeline",
                "telephony_report_form": "panel",
            }
        )
        self.assertRecordValues(
            self.user_anna,
            [
                {
                    "telephony_enabled": True,
                    "telephony_incoming_action": "timeline",
                    "telephony_outgoing_action": "partner",
                    "telephony_unknown_action": "timeline",
                    "telephony_report_form": "panel",
                }
            ],
        )

    def test_user_reads_their_settings_in_preferences(self):
        values = self.user_anna.with_user(self.user_anna).read(["telephony_extension", "telephony_enabled"])[0]
        self.assertEqual(values["telephony_extension"], "201")

    def test_user_cannot_edit_someone_elses_settings(self):
        with self.assertRaises(AccessError):
            self.user_boris.with_user(self.user_anna).write({"telephony_incoming_action": "nothing"})
        self.assertEqual(self.user_boris.telephony_incoming_action, "partner")

    def test_user_cannot_give_themselves_an_extension(self):
        with self.assertRaises(AccessError):
            self.user_anna.with_user(self.user_anna).write({"telephony_extension": "299"})
        self.assertEqual(self.user_anna.telephony_extension, "201")

    def test_manager_edits_anyones_telephony_settings(self):
        self.user_boris.with_user(self.manager).write(
            {"telephony_incoming_action": "nothing", "telephony_extension": "299", "telephony_enabled": True}
        )
        self.assertEqual(self.user_boris.telephony_incoming_action, "nothing")
        self.assertEqual(self.user_boris.telephony_extension, "299")

    def test_manager_cannot_edit_other_user_fields_through_telephony(self):
        with self.assertRaises(AccessError):
            self.user_boris.with_user(self.manager).write({"telephony_extension": "298", "login": "hijacked"})
        self.assertEqual(self.user_boris.login, "boris_t")

    def test_new_users_default_to_calling_off_with_sensible_actions(self):
        self.assertRecordValues(
            self.plain_user,
            [
                {
                    "telephony_enabled": False,
                    "telephony_incoming_action": "partner",
                    "telephony_unknown_action": "create_contact",
                    "telephony_report_form": "simplified",
                }
            ],
        )
