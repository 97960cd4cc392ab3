from odoo.tests import tagged

from .common import TelephonyCase


@tagged("post_install", "-at_install")
class TestPbxConnection(TelephonyCase):
    def test_unreachable_pbx_is_reported_and_remembered(self):
        action = self.pbx.with_user(self.manager).action_test_connection()
        self.assertEqual(action["params"]["type"], "danger")
        self.assertIn("127.0.0.1:9", action["params"]["message"])
        self.assertEqual(self.pbx.state, "error")
        self.assertIn("127.0.0.1:9", self.pbx.last_error)
        self.assertTrue(self.pbx.last_error_date)

    def test_managers_set_the_dial_templates_on_the_form(self):
        manager_form = self.pbx.with_user(self.manager).get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn('name="internal_dial_template"', manager_form)
        self.assertIn('name="external_dial_template"', manager_form)
        user_form = self.pbx.with_user(self.user_anna).get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertNotIn("dial_template", user_form, "only managers may read the dial templates")
