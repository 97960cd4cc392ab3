"""Attacks on the browser phone: who reads or changes a SIP account, what a user's name can inject into it,
and who gets outside lines by looking like a user's own phone."""

from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from ..pbx.conference import from_own_phone
from .test_softphone import SoftphoneCase

OUTSIDE_NUMBER = "+33612345678"


@tagged("post_install", "-at_install")
class TestSoftphoneAttack(SoftphoneCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_manager = new_test_user(
            cls.env,
            login="be_manager_t",
            groups="telephony.group_telephony_manager",
            company_id=cls.other_company.id,
            company_ids=[(6, 0, [cls.other_company.id])],
        )

    def _assert_password_unreadable(self, reader, password):
        users = self.env["res.users"].with_user(reader)
        anna = self.user_anna.with_user(reader)
        attempts = {
            "read": lambda: anna.read(["telephony_sip_password"]),
            "read account": lambda: anna.read(["telephony_sip_account"]),
            "search_read": lambda: users.search_read([("id", "=", anna.id)], ["telephony_sip_password"]),
            "read_group": lambda: users.read_group(
                [("id", "=", anna.id)], ["telephony_sip_password"], ["telephony_sip_password"]
            ),
            "export": lambda: anna.export_data(["telephony_sip_password"]),
            "export account": lambda: anna.export_data(["telephony_sip_account"]),
            "web_read": lambda: anna.web_read({"telephony_sip_password": {}, "telephony_sip_account": {}}),
            "search": lambda: users.search([("telephony_sip_password", "=", password)]),
        }
        for name, attempt in attempts.items():
            with self.subTest(reader=reader.login, attempt=name):
                self.env.invalidate_all()
                try:
                    result = attempt()
                except (AccessError, UserError):  # plain users may not export at all
                    continue
                self.assertNotIn(password, str(result))
                self.assertNotEqual(result, anna, "searching on the password tells it")

    def test_nobody_but_the_user_and_their_companys_managers_reads_the_password(self):
        password = self._config(self.user_anna)["password"]
        self.pbx.softphone_provisioning = "manual"
        for reader in (self.user_boris, self.plain_user, self.other_manager):
            self._assert_password_unreadable(reader, password)
        self.assertIn(password, self.user_anna.with_user(self.manager).telephony_sip_account)
        self.assertNotIn(
            password, str(self.user_anna.with_user(self.user_anna).read(list(self.user_anna.SELF_READABLE_FIELDS)))
        )

    def test_a_manager_who_read_an_account_does_not_show_it_to_the_next_reader(self):
        self.pbx.softphone_provisioning = "manual"
        password = self._config(self.user_anna)["password"]
        self.assertIn(password, self.user_anna.with_user(self.manager).telephony_sip_account)
        self.assertFalse(self.user_anna.with_user(self.other_manager).telephony_sip_account)

    def test_nobody_else_rotates_provisions_or_removes_a_browser_phone(self):
        password = self._config(self.user_anna)["password"]
        anna = self.user_anna
        for intruder in (self.user_boris, self.plain_user, self.other_manager):
            with self.subTest(intruder=intruder.login):
                with self.assertRaises(AccessError), self.env.cr.savepoint():
                    anna.with_user(intruder).action_telephony_rotate_sip_password()
                for values in ({"telephony_phone": "desk"}, {"telephony_extension": "299"}, {"active": False}):
                    with self.assertRaises(AccessError), self.env.cr.savepoint():
                        anna.with_user(intruder).write(values)
        self.assertEqual(self._account_on_pbx()["auth"]["password"], password)
        self.assertEqual(anna.sudo().telephony_sip_password, password)

    def test_only_telephony_users_get_a_browser_phone(self):
        """A user outside the telephony groups (left with an extension, or given one) places no call from Odoo:
        their browser gets no SIP account either, which would let it call outside numbers through the PBX."""
        for outsider in (self.plain_user, self._new_user("portal_t", "base.group_portal")):
            with self.subTest(user=outsider.login):
                outsider.sudo().write({"telephony_extension": "260" if outsider == self.plain_user else "261"})
                outsider.with_user(outsider).write({"telephony_enabled": True, "telephony_phone": "browser"})
                try:
                    config = self._config(outsider)
                except AccessError:
                    continue
                self.assertEqual(config["mode"], "desk")
                self.assertNotIn("password", config)
        self.assertFalse(self.simulator.config_objects)

    def test_a_users_name_injects_nothing_into_the_pjsip_account(self):
        """Users rename themselves (Preferences): their name becomes the caller id of their browser phone."""
        anna = self.user_anna.with_user(self.user_anna)
        anna.write({"name": 'Anna "x" <999>; evil\ncontext = from-trunk\n[202]\\'})
        self._config(self.user_anna)
        callerid = self._account_on_pbx()["endpoint"]["callerid"]
        self.assertTrue(callerid.endswith(" <201>"), callerid)
        for forbidden in ("\n", "\r", ";", "<999>", "\\", '"x"'):
            self.assertNotIn(forbidden, callerid)
        self.pbx.softphone_provisioning = "manual"
        account = self.user_anna.with_user(self.manager).telephony_sip_account
        self.assertNotIn("\ncontext = from-trunk", account)
        self.assertEqual(account.count("\ncontext = "), 1)
        self.assertEqual(account.count("[201]"), 3)
        self.assertNotIn("\n[202]", account)
        caller_id = self.pbx._route_call("202", "201", True).caller_id
        self.assertNotIn("\n", caller_id)
        self.assertTrue(caller_id.endswith(" <201>"), caller_id)

    def test_no_outside_line_for_a_trunk_that_looks_like_a_phone(self):
        """A caller of an endpoint named after the number it presents (Asterisk's ``anonymous`` endpoint, a
        trunk named after its account number with a caller id spoofed to match) is no user's phone."""
        spoofed = (
            {"name": "PJSIP/anonymous-00000001", "caller": {"number": "anonymous"}},
            {"name": "PJSIP/0170000000-00000002", "caller": {"number": "0170000000"}},
        )
        for channel in spoofed:
            with self.subTest(channel=channel["name"]):
                number = channel["caller"]["number"]
                outbound = from_own_phone(channel)
                self.assertIsNone(self.pbx._route_call(OUTSIDE_NUMBER, number, outbound))
        anna_phone = {"name": "PJSIP/201-00000003", "caller": {"number": "201"}}
        forward = self.pbx._route_call(OUTSIDE_NUMBER, "201", from_own_phone(anna_phone))
        self.assertEqual(forward.endpoint, self.pbx._endpoint_for(OUTSIDE_NUMBER, internal=False))

    def test_a_refusing_pbx_never_shows_or_logs_the_password(self):
        password = self._config(self.user_anna)["password"]
        self.simulator.static_config.add(("auth", "201"))
        with self.assertRaises(UserError) as refused, self.env.cr.savepoint():
            self.user_anna.with_user(self.user_anna).action_telephony_rotate_sip_password()
        self.assertNotIn(password, str(refused.exception))
        with self.assertLogs("odoo.addons.telephony", "WARNING") as logs:
            self.user_anna.with_user(self.user_anna).write({"telephony_phone": "desk"})
        self.assertIn("stays on the PBX", "\n".join(logs.output))
        self.assertNotIn(password, "\n".join(logs.output))

    def test_a_deleted_user_leaves_no_browser_phone_on_the_pbx(self):
        leaver = self._new_user("leaver_t", "telephony.group_telephony_user", extension="250")
        leaver.write({"telephony_enabled": True, "telephony_phone": "browser"})
        self._config(leaver)
        self.assertTrue(self._account_on_pbx("250")["auth"])
        leaver.unlink()
        self.assertEqual(self._account_on_pbx("250"), {"endpoint": None, "aor": None, "auth": None})
