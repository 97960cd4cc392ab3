"""A user's browser as their phone: the setting, the SIP account and its provisioning on the PBX over ARI."""

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from ..pbx.simulator import Simulator
from .common import TelephonyCase

WEBSOCKET = "ws://127.0.0.1:8088/ws"


class SoftphoneCase(TelephonyCase):
    """Anna in browser mode, on a PBX played by the simulator, whose dynamic configuration starts empty."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.simulator = Simulator(port=0).start()
        cls.addClassCleanup(cls.simulator.stop)
        cls.pbx.write({"ari_url": cls.simulator.url, "ari_password": "telephony"})
        cls.user_anna.write({"telephony_enabled": True, "telephony_phone": "browser"})

    def setUp(self):
        super().setUp()
        self.simulator.config_objects.clear()
        self.simulator.static_config.clear()
        self.pbx.softphone_websocket_url = WEBSOCKET

    def _config(self, user):
        return self.env["res.users"].with_user(user).telephony_softphone_config()

    def _account_on_pbx(self, extension="201"):
        return {
            object_type: self.simulator.config_objects.get((object_type, extension))
            for object_type in ("endpoint", "aor", "auth")
        }


@tagged("post_install", "-at_install")
class TestSoftphone(SoftphoneCase):

    def test_users_choose_their_phone_themselves(self):
        self.user_boris.with_user(self.user_boris).write({"telephony_phone": "browser"})
        self.assertEqual(self.user_boris.telephony_phone, "browser")

    def test_first_start_creates_the_browser_phone_on_the_pbx(self):
        config = self._config(self.user_anna)
        account = self._account_on_pbx()
        self.assertEqual(config["mode"], "browser")
        self.assertEqual(config["websocket_url"], WEBSOCKET)
        self.assertEqual(config["uri"], "sip:201@127.0.0.1")
        self.assertEqual(config["username"], "201")
        self.assertGreaterEqual(len(config["password"]), 24)
        self.assertEqual(account["auth"], {"auth_type": "userpass", "username": "201", "password": config["password"]})
        self.assertEqual(account["endpoint"]["webrtc"], "yes")
        self.assertEqual(account["endpoint"]["context"], "telephony-in")
        self.assertEqual(account["endpoint"]["callerid"], f'"{self.user_anna.name}" <201>')
        self.assertEqual((account["endpoint"]["aors"], account["endpoint"]["auth"]), ("201", "201"))
        puts = [path for method, path, _ in self.simulator.requests if method == "PUT"]
        self.assertEqual(self._config(self.user_anna)["password"], config["password"], "the same account")
        self.assertEqual(
            [path for method, path, _ in self.simulator.requests if method == "PUT"], puts, "not provisioned again"
        )

    def test_desk_phone_users_and_unready_pbx_get_desk_mode_with_the_reason(self):
        self.assertEqual(self._config(self.user_boris), {"mode": "desk"})
        self.pbx.softphone_websocket_url = False
        config = self._config(self.user_anna)
        self.assertEqual(config["mode"], "desk")
        self.assertIn("WebSocket address is empty", config["reason"])
        self.assertFalse(self.simulator.config_objects)

    def test_a_pbx_that_is_down_leaves_the_setting_and_says_so(self):
        self.pbx.ari_url = "http://127.0.0.1:9"
        config = self._config(self.user_anna)
        self.assertEqual(config["mode"], "browser")
        self.assertIn("cannot be reached", config["error"])
        self.assertNotIn("password", config)
        self.pbx.ari_url = self.simulator.url
        self.assertEqual(self._config(self.user_anna)["mode"], "browser")
        self.assertTrue(self._account_on_pbx()["auth"], "provisioned once the PBX answers")

    def test_an_extension_of_pjsip_conf_is_explained(self):
        self.simulator.static_config.add(("auth", "201"))
        config = self._config(self.user_anna)
        self.assertIn("sorcery.conf", config["error"])
        self.assertIn("201 is already defined in pjsip.conf", config["error"])

    def test_the_password_is_read_by_its_user_through_the_widget_and_by_managers_only(self):
        password = self._config(self.user_anna)["password"]
        with self.assertRaises(AccessError):
            self.user_anna.with_user(self.user_boris).read(["telephony_sip_password"])
        with self.assertRaises(AccessError):
            self.user_anna.with_user(self.user_anna).read(["telephony_sip_password"])
        self.pbx.softphone_provisioning = "manual"
        self.assertIn(f"password = {password}", self.user_anna.with_user(self.manager).telephony_sip_account)
        self.assertNotIn(password, str(self.user_anna.with_user(self.user_boris).read(["name", "telephony_phone"])))

    def test_a_new_password_reaches_the_pbx_and_only_the_user_or_a_manager_asks_for_it(self):
        old = self._config(self.user_anna)["password"]
        self.user_anna.with_user(self.user_anna).action_telephony_rotate_sip_password()
        new = self._account_on_pbx()["auth"]["password"]
        self.assertNotEqual(new, old)
        self.assertEqual(self._config(self.user_anna)["password"], new)
        with self.assertRaises(AccessError):
            self.user_anna.with_user(self.user_boris).action_telephony_rotate_sip_password()
        self.user_anna.with_user(self.manager).action_telephony_rotate_sip_password()
        self.assertNotEqual(self._account_on_pbx()["auth"]["password"], new)

    def test_a_rotation_the_pbx_refuses_keeps_the_old_password(self):
        old = self._config(self.user_anna)["password"]
        self.pbx.ari_url = "http://127.0.0.1:9"
        with self.assertRaises(UserError), self.assertLogs("odoo.addons.telephony", "WARNING") as logs:
            with self.env.cr.savepoint():
                self.user_anna.with_user(self.user_anna).action_telephony_rotate_sip_password()
        self.assertEqual(self.user_anna.sudo().telephony_sip_password, old)
        self.assertNotIn(old, "\n".join(logs.output))

    def test_back_to_the_desk_phone_deletes_the_browser_phone(self):
        self._config(self.user_anna)
        self.user_anna.with_user(self.user_anna).write({"telephony_phone": "desk"})
        self.assertEqual(self._account_on_pbx(), {"endpoint": None, "aor": None, "auth": None})
        self.assertFalse(self.user_anna.sudo().telephony_sip_provisioned)

    def test_leaving_the_telephony_users_deletes_the_browser_phone(self):
        self._config(self.user_anna)
        self.user_anna.write({"groups_id": [(3, self.env.ref("telephony.group_telephony_user").id)]})
        self.assertEqual(self._account_on_pbx(), {"endpoint": None, "aor": None, "auth": None})
        self.assertFalse(self.user_anna.sudo().telephony_sip_provisioned)

    def test_a_new_extension_moves_the_browser_phone(self):
        self._config(self.user_anna)
        self.user_anna.with_user(self.manager).telephony_extension = "209"
        self.assertEqual(self._account_on_pbx("201"), {"endpoint": None, "aor": None, "auth": None})
        self.assertEqual(self._config(self.user_anna)["uri"], "sip:209@127.0.0.1")
        self.assertTrue(self._account_on_pbx("209")["endpoint"])

    def test_the_websocket_address_must_be_one_a_browser_accepts(self):
        for url in ("http://pbx.example.com:8088/ws", "ws://pbx.example.com:8088/ws", "wss://"):
            with self.assertRaises(ValidationError), self.env.cr.savepoint():
                self.pbx.softphone_websocket_url = url
                self.pbx.flush_recordset()
        self.pbx.softphone_websocket_url = "wss://pbx.example.com:8089/ws"
        self.assertEqual(self._config(self.user_anna)["uri"], "sip:201@pbx.example.com")

    def test_manual_provisioning_shows_the_account_to_managers_and_calls_no_pbx(self):
        self.pbx.softphone_provisioning = "manual"
        password = self._config(self.user_anna)["password"]
        self.assertFalse(self.simulator.config_objects)
        account = self.user_anna.with_user(self.manager).telephony_sip_account
        self.assertIn("[201]\ntype = endpoint\nwebrtc = yes", account)
        self.assertIn(f"password = {password}", account)

    def test_the_browser_dials_the_number_odoo_checked(self):
        dial = self.env["telephony.call"].with_user(self.user_anna).telephony_softphone_target
        self.user_anna.company_id = self.company
        self.assertEqual(dial("06 12 34 56 78"), {"target": "+33612345678"})
        self.assertEqual(dial("8001"), {"target": "8001"})
        with self.assertRaises(UserError):
            dial("06 12, 34")
        with self.assertRaises(UserError):
            self.env["telephony.call"].with_user(self.user_boris.copy({"login": "no_ext"})).telephony_softphone_target(
                "201"
            )
