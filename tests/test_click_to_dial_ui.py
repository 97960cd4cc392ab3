from datetime import timedelta

from odoo import Command, fields
from odoo.tests import HttpCase, tagged

from ..pbx.simulator import Simulator
from .common import SharedCursorMixin


@tagged("post_install", "-at_install")
class TestClickToDialUi(SharedCursorMixin, HttpCase):
    """Click-to-dial from a contact's page in a real browser, against the simulator and a running listener."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.simulator = Simulator(port=0).start()
        cls.addClassCleanup(cls.simulator.stop)
        cls.env["telephony.pbx"].search([]).active = False
        cls.pbx = cls.env["telephony.pbx"].create(
            {"name": "Click PBX", "ari_url": cls.simulator.url, "ari_password": "telephony"}
        )
        cls.env["res.users"].search([("telephony_extension", "=", "7200")]).telephony_extension = False
        cls.user = cls.env["res.users"].create(
            {
                "name": "Click User",
                "login": "click_user",
                "password": "click_user_pw",
                "groups_id": [
                    Command.set(
                        [cls.env.ref("telephony.group_telephony_user").id, cls.env.ref("base.group_partner_manager").id]
                    )
                ],
                "telephony_enabled": True,
                "telephony_extension": "7200",
            }
        )
        cls.env["res.partner"].search([("phone_e164", "in", ["+33612340042", "+33612340043"])]).phone = False
        cls.env["res.partner"].search([("mobile_e164", "in", ["+33612340042", "+33612340043"])]).mobile = False

    def _calls(self):
        return self.env["telephony.call"].search([("user_id", "=", self.user.id)])

    def test_the_call_button_of_a_contacts_phone_calls_through_the_widget(self):
        client = self.env["res.partner"].create({"name": "Dial Client", "phone": "+33 6 12 34 00 42"})
        self.env.flush_all()
        self._start_listener()
        self.start_tour(
            f"/odoo/res.partner/{client.id}", "telephony_click_to_dial_tour", login="click_user", timeout=120
        )
        call = self._wait_until(lambda: self._calls().filtered("end_date"), message="the call's end in the journal")
        expected = {
            "direction": "outbound",
            "called_number": "+33612340042",
            "partner_id": client.id,
            "state": "answered",
        }
        self._read(lambda: self.assertRecordValues(call, [expected]))
        notes = self._read(lambda: client.message_ids.filtered(lambda m: "Outbound call: Answered" in m.body))
        self.assertEqual(len(notes), 1, "the call is in the contact's chatter")

    def test_the_call_button_of_a_call_back_activity_dials_the_number_that_called(self):
        client = self.env["res.partner"].create(
            {"name": "Activity Client", "phone": "+33 1 42 68 00 41", "mobile": "+33 6 12 34 00 43"}
        )
        start = fields.Datetime.now() - timedelta(hours=3)
        missed = self.env["telephony.call"].create(
            {
                "pbx_id": self.pbx.id,
                "pbx_unique_id": "click-missed-1",
                "direction": "inbound",
                "state": "missed",
                "user_id": self.user.id,
                "caller_number": "+33612340043",
                "called_number": "7200",
                "start_date": start,
                "end_date": start,
            }
        )
        self.env["telephony.call"]._cron_schedule_callbacks()
        activity = client.activity_ids
        self.assertEqual(activity.telephony_call_id, missed)
        self.env.flush_all()
        self._start_listener()
        self.start_tour(
            f"/odoo/res.partner/{client.id}", "telephony_activity_call_tour", login="click_user", timeout=120
        )
        placed = self._wait_until(
            lambda: self._calls().filtered(lambda call: call.direction == "outbound" and call.end_date),
            message="the call back in the journal",
        )
        self._read(
            lambda: self.assertRecordValues(placed, [{"called_number": "+33612340043", "partner_id": client.id}])
        )
        self.assertTrue(self._read(activity.exists), "calling back leaves marking the activity done to the user")
