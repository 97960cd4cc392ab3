from odoo.tests import HttpCase, tagged

from ..cli.telephony_listener import PbxListener
from ..pbx.simulator import Simulator
from .common import SharedCursorMixin


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
        listener = PbxListener(self.registry, self.pbx.id, standby_poll=0.2)
        listener.start()
        self.addCleanup(listener.join, 15)
        self.addCleanup(listener.stop)
        self.assertTrue(listener.active.wait(15))
        self.start_tour("/odoo", "telephony_dial_room_tour", login="widget_user", timeout=120)
        call = self._read(lambda: self.env["telephony.call"].search([("user_id", "=", self.user.id)]))
        self.assertRecordValues(call, [{"called_number": "7801", "state": "answered", "conference_id": self.room.id}])
        self.assertTrue(self._read(lambda: call.end_date))
