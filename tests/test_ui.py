import threading
import time

from odoo import Command
from odoo.tests import HttpCase, tagged

from ..pbx.simulator import Simulator
from .common import SharedCursorMixin, sim_control


@tagged("post_install", "-at_install")
class TestVoipWidget(SharedCursorMixin, HttpCase):
    """The VoIP widget in a real browser, against the simulator and a running listener."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.simulator = Simulator(port=0).start()
        cls.addClassCleanup(cls.simulator.stop)
        cls.env["telephony.pbx"].search([]).active = False
        cls.pbx = cls.env["telephony.pbx"].create(
            {"name": "Widget PBX", "ari_url": cls.simulator.url, "ari_password": "telephony"}
        )
        cls.env["res.users"].search([("telephony_extension", "=", "7100")]).telephony_extension = False
        cls.user = cls.env["res.users"].create(
            {
                "name": "Widget User",
                "login": "widget_user",
                "password": "widget_user_pw",
                "groups_id": [(6, 0, [cls.env.ref("telephony.group_telephony_user").id])],
                "telephony_enabled": True,
                "telephony_extension": "7100",
            }
        )
        cls.room = cls.env["telephony.conference"].create(
            {"name": "Widget room", "extension": "7801", "access_code": "2468", "pbx_id": cls.pbx.id}
        )

    def test_dial_a_room_and_type_its_access_code_on_the_dialpad(self):
        self._start_listener()
        self.start_tour("/odoo", "telephony_dial_room_tour", login="widget_user", timeout=120)
        call = self._read(lambda: self.env["telephony.call"].search([("user_id", "=", self.user.id)]))
        expected = {"called_number": "7801", "state": "answered", "conference_id": self.room.id}
        self._read(lambda: self.assertRecordValues(call, [expected]))
        self.assertTrue(self._read(lambda: call.end_date))

    def test_unknown_caller_ends_in_a_prefilled_new_contact(self):
        self.user.write(
            {
                "telephony_unknown_action": "create_contact",
                "telephony_incoming_action": "partner",
                "groups_id": [Command.link(self.env.ref("base.group_partner_manager").id)],
            }
        )
        self.env["res.partner"].search([("phone_e164", "=", "+33142685300")]).phone = False
        self.env.flush_all()
        self._start_listener()
        channel = sim_control(self.simulator, "calls", caller="+33142685300", dialled="7100")["id"]
        calls = self.env["telephony.call"]
        call = self._wait_until(
            lambda: calls.search([("pbx_unique_id", "=", channel), ("user_id", "=", self.user.id)]),
            message="the incoming call in the journal",
        )
        self.start_tour("/odoo", "telephony_unknown_caller_tour", login="widget_user", timeout=120)
        partner = self._read(lambda: self.env["res.partner"].search([("name", "=", "Caller From Paris")]))
        expected = {"phone": "+33 1 42 68 53 00", "city": "Paris", "country_id": self.env.ref("base.fr").id}
        self._read(lambda: self.assertRecordValues(partner, [expected]))
        self.assertEqual(self._read(lambda: call.partner_id), partner, "the call is in the new contact's history")

    def test_meeting_from_employees_with_its_live_window(self):
        users = self.env["res.users"].with_context(no_reset_password=True)
        self.env["res.users"].search([("telephony_extension", "in", ["7101", "7102", "7103", "7104"])]).write(
            {"telephony_extension": False}
        )
        self.user.groups_id |= self.env.ref("hr.group_hr_user")
        for index, name in enumerate(("Ann", "Ben", "Cid", "Dee"), start=1):
            colleague = users.create(
                {"name": f"{name} Meeting", "login": f"{name.lower()}_meeting", "telephony_extension": f"710{index}"}
            )
            self.env["hr.employee"].create({"name": f"{name} Meeting", "user_id": colleague.id})
        self.env.flush_all()
        self._start_listener()
        talker = threading.Thread(target=self._make_ann_then_ben_talk, daemon=True)
        talker.start()
        self.start_tour(
            "/odoo/action-hr.open_view_employee_list_my?view_type=list",
            "telephony_meeting_tour",
            login="widget_user",
            timeout=180,
        )
        talker.join(5)
        meeting = self._read(lambda: self.env["telephony.conference"].search([("name", "=", "Pipeline review")]))
        states = self._read(lambda: {p.display_name: (p.state, p.muted) for p in meeting.participant_ids})
        self.assertEqual(states["Ben Meeting"], ("joined", True))
        self.assertEqual(states["Cid Meeting"][0], "left")
        self.assertEqual(states["Dee Meeting"][0], "joined")
        self.assertEqual(states["Widget User"][0], "left")

    def test_hold_resume_and_transfer_a_call_from_the_widget(self):
        """Desk-phone mode: the widget user's phone rings first, then the colleague's; hold, resume and a blind
        transfer all go through the PBX (the simulator) and come back to the widget over the bus."""
        self.env["res.users"].search([("telephony_extension", "in", ["7111", "7112"])]).telephony_extension = False
        users = self.env["res.users"].with_context(no_reset_password=True)
        una, vic = (
            users.create({"name": f"{name} Transfer", "login": f"{name.lower()}_transfer", "telephony_extension": ext})
            for name, ext in (("Una", "7111"), ("Vic", "7112"))
        )
        self.env.flush_all()
        self._start_listener()
        self.start_tour("/odoo", "telephony_transfer_tour", login="widget_user", timeout=180)
        call = self._read(lambda: self.env["telephony.call"].search([("user_id", "=", self.user.id)], limit=1))
        expected = {
            "called_number": "7111",
            "state": "answered",
            "answered_user_id": una.id,
            "transfer_state": "answered",
            "transfer_user_id": vic.id,
            "transferred_by_id": self.user.id,
            "on_hold": False,
            "end_date": False,
        }
        self._read(lambda: self.assertRecordValues(call, [expected]))
        una_leg, vic_leg = f"{call.pbx_unique_id}-peer", self._read(lambda: call.transfer_leg_id)
        bridges = {channel_id: b.id for b in list(self.simulator.bridges.values()) for channel_id in b.channels}
        self.assertEqual(bridges.get(una_leg), bridges.get(vic_leg), "Una now talks to Vic")
        self.assertTrue(self.simulator.channels[vic_leg].name.startswith("PJSIP/7112"))
        self.assertNotIn(call.pbx_unique_id, self.simulator.channels, "the widget user's phone is free")

    def test_test_connection_on_a_new_pbx_stays_on_the_new_pbx(self):
        existing = self.env["telephony.pbx"].create(
            {"name": "Existing PBX", "ari_url": "http://127.0.0.1:9", "ari_app": "existing_app", "active": False}
        )
        action = self.env.ref("telephony.telephony_pbx_action")
        self.start_tour(
            f"/odoo/action-{action.id}/{existing.id}", "telephony_pbx_test_connection_tour", login="admin", timeout=120
        )
        new_pbx = self.env["telephony.pbx"].with_context(active_test=False).search([("name", "=", "New Tour PBX")])
        self.assertRecordValues(new_pbx, [{"ari_url": "http://127.0.0.1:9", "ari_app": "tour_app", "state": "error"}])
        self.assertRecordValues(existing, [{"name": "Existing PBX", "ari_app": "existing_app"}])

    def test_invite_is_offered_only_to_who_may_invite_into_a_live_room(self):
        room = self.room.with_user(self.user)
        self.assertFalse(room.can_invite, "a plain user does not moderate this room")
        self.room.administrator_id = self.user
        self.assertTrue(room.can_invite)
        self.room.action_archive()
        self.assertFalse(room.can_invite, "an archived room takes no invitations")
        self.assertFalse(self.room.can_invite, "not even from a manager")
        self.room.action_unarchive()
        self.room.administrator_id = False
        action = self.env.ref("telephony.telephony_conference_action")
        self.start_tour(f"/odoo/action-{action.id}", "telephony_room_invite_hidden_tour", login="widget_user")

    def _make_ann_then_ben_talk(self):
        """The simulator plays the people on the phones: Ann speaks, then Ben."""
        deadline = time.monotonic() + 60
        channels = {}
        while time.monotonic() < deadline and len(channels) < 3:
            time.sleep(0.5)
            channels = self._read(
                lambda: {
                    p.display_name: p.channel_id
                    for p in self.env["telephony.conference.participant"].search([("state", "=", "joined")])
                    if p.display_name in ("Ann Meeting", "Ben Meeting", "Cid Meeting")
                }
            )
        if len(channels) < 3:
            return
        talk = self.simulator._talk
        self.simulator.call(talk, self.simulator.channels[channels["Ann Meeting"]], True)
        time.sleep(3)
        self.simulator.call(talk, self.simulator.channels[channels["Ann Meeting"]], False)
        self.simulator.call(talk, self.simulator.channels[channels["Ben Meeting"]], True)
