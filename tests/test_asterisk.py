import os
import time
import uuid
from unittest import skipUnless

from odoo.tests import HttpCase, tagged

from ..cli.telephony_listener import PbxListener
from .common import SharedCursorMixin

ASTERISK_URL = os.environ.get("TELEPHONY_ARI_URL")


@tagged("post_install", "-at_install")
@skipUnless(ASTERISK_URL, "set TELEPHONY_ARI_URL (and _USER, _PASSWORD) to run against a real Asterisk")
class TestRealAsterisk(SharedCursorMixin, HttpCase):
    """A room with an access code and wait-for-administrator, end to end through the model methods,
    on a real Asterisk 22 whose context telephony-test has extensions 101-105 that answer (README)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["telephony.pbx"].search([]).active = False
        cls.pbx = cls.env["telephony.pbx"].create(
            {
                "name": "Real Asterisk",
                "ari_url": ASTERISK_URL,
                "ari_user": os.environ.get("TELEPHONY_ARI_USER", "telephony"),
                "ari_password": os.environ.get("TELEPHONY_ARI_PASSWORD", "telephony"),
                "ari_app": f"telephony-e2e-{uuid.uuid4().hex[:6]}",
                "internal_dial_template": os.environ.get("TELEPHONY_ARI_DIAL", "Local/{number}@telephony-test"),
            }
        )
        users = cls.env["res.users"].with_context(no_reset_password=True)
        users.search([("telephony_extension", "in", ["101", "102"])]).telephony_extension = False
        groups = [(6, 0, [cls.env.ref("telephony.group_telephony_user").id])]
        cls.caller = users.create(
            {
                "name": "Early Caller",
                "login": "early_e2e",
                "groups_id": groups,
                "telephony_enabled": True,
                "telephony_extension": "101",
            }
        )
        cls.admin = users.create(
            {
                "name": "Room Admin",
                "login": "admin_e2e",
                "groups_id": groups,
                "telephony_enabled": True,
                "telephony_extension": "102",
            }
        )
        cls.room = cls.env["telephony.conference"].create(
            {
                "name": "E2E room",
                "extension": "7801",
                "access_code": "2468",
                "administrator_id": cls.admin.id,
                "wait_for_administrator": True,
                "pbx_id": cls.pbx.id,
            }
        )

    def _dial_and_type_code(self, user):
        with self.registry.test_lock:
            call = self.env["telephony.call"].browse(
                self.env["telephony.call"].with_user(user).action_dial("7801")["id"]
            )
        participant = self.env["telephony.conference.participant"]
        for _attempt in range(10):
            time.sleep(1.0)  # the phone answers, then the receptionist prompts
            with self.registry.test_lock:
                call.with_user(user).action_send_dtmf("2468#")
            if self._read(lambda: participant.search([("channel_id", "=", call.pbx_unique_id)])):
                break
        return call, participant.search([("channel_id", "=", call.pbx_unique_id)])

    def test_room_with_code_waits_for_its_administrator(self):
        listener = PbxListener(self.registry, self.pbx.id, standby_poll=0.2)
        listener.start()
        self.addCleanup(listener.join, 15)
        self.addCleanup(listener.stop)
        self.assertTrue(listener.active.wait(20), "the listener connected to Asterisk")
        early_call, early = self._dial_and_type_code(self.caller)
        self._wait_until(lambda: early.state == "waiting", message="the early caller on hold")
        self.assertEqual(self._read(lambda: self.room.state), "waiting")
        admin_call, admin = self._dial_and_type_code(self.admin)
        self._wait_until(lambda: admin.state == "joined" and early.state == "joined", message="the room opening")
        self.assertTrue(self._read(lambda: admin.is_administrator))
        self.assertEqual(self._read(lambda: self.room.state), "running")
        with self.registry.test_lock:
            self.room.with_user(self.admin).action_kick(early.id)
        self._wait_until(lambda: early.state == "left" and early_call.end_date, message="the kick")
        with self.registry.test_lock:
            admin.with_user(self.admin).action_leave()
        self._wait_until(lambda: self.room.state == "idle" and admin_call.end_date, message="the room emptying")
        self.assertEqual(self._read(lambda: admin_call.state), "answered")
