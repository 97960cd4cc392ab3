from odoo.tests import Form, tagged

from ..pbx.simulator import Simulator
from .common import TelephonyCase


@tagged("post_install", "-at_install")
class TestWizards(TelephonyCase):
    """ "Meeting" from the Employees list and "Invite" on a room, as a user fills them in."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        employees = cls.env["hr.employee"].with_company(cls.company)
        cls.boris = employees.create({"name": "Boris", "user_id": cls.user_boris.id, "company_id": cls.company.id})
        cls.eve = employees.create({"name": "Eve", "work_phone": "+33 6 11 22 33 44", "company_id": cls.company.id})
        cls.nobody = employees.create({"name": "Unreachable Ulla", "company_id": cls.company.id})
        cls.wrong = employees.create({"name": "Wrong Wanda", "work_phone": "12", "company_id": cls.company.id})

    def setUp(self):
        super().setUp()
        self.simulator = Simulator(port=0).start()
        self.addCleanup(self.simulator.stop)
        self.pbx.write({"ari_url": self.simulator.url, "ari_password": "telephony"})

    def _meeting_form(self, employees):
        context = {"active_model": "hr.employee", "active_ids": employees.ids}
        return Form(self.env["telephony.meeting.wizard"].with_user(self.user_anna).with_context(**context))

    def test_meeting_lists_the_picked_employees_and_who_is_unreachable(self):
        wizard = self._meeting_form(self.boris | self.eve | self.nobody | self.wrong).save()
        lines = {line.employee_id.name: (line.number, line.reachable, line.selected) for line in wizard.line_ids}
        self.assertEqual(
            lines,
            {
                "Boris": ("202", True, True),
                "Eve": ("+33 6 11 22 33 44", True, True),
                "Unreachable Ulla": ("", False, False),
                "Wrong Wanda": ("12", False, False),
            },
        )

    def test_meeting_create_calls_every_reachable_pick_and_opens_the_meeting(self):
        form = self._meeting_form(self.boris | self.eve | self.nobody)
        form.name = "Acme deal"
        wizard = form.save()
        with Form(wizard) as edit, edit.line_ids.edit(1) as eve_line:
            eve_line.selected = False
        action = wizard.action_create()
        self.assertEqual(action["tag"], "telephony_show_conference", "the conference window opens at once")
        meeting = self.env["telephony.conference"].browse(action["params"]["conference"]["id"])
        self.assertEqual(meeting.name, "Acme deal")
        self.assertEqual(sorted(meeting.participant_ids.mapped("number")), ["201", "202"])
        self.assertEqual(
            sorted(channel.caller["name"] for channel in self.simulator.channels.values()), ["Conference"] * 2
        )

    def test_invite_by_number_calls_at_once(self):
        context = {"active_id": self.room.id}
        form = Form(self.env["telephony.conference.invite"].with_user(self.user_anna).with_context(**context))
        form.number = "+33 6 12 34 56 78"
        form.save().action_invite()
        self.assertEqual(self.room.participant_ids.number, "+33612345678")
        self.assertEqual(len(self.simulator.channels), 1)

    def test_invite_an_employee_as_a_plain_user(self):
        context = {"active_id": self.room.id}
        form = Form(self.env["telephony.conference.invite"].with_user(self.user_anna).with_context(**context))
        form.employee_id = self.env["hr.employee.public"].browse(self.eve.id)
        form.save().action_invite()
        self.assertEqual(self.room.participant_ids.number, "+33611223344")
