from datetime import date, datetime
from unittest.mock import patch

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, tagged

from .common import TelephonyCase


@tagged("post_install", "-at_install")
class TestCallActions(TelephonyCase):
    """What a call opens, per the personal settings of the user it rings or who places it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, allowed_company_ids=[cls.company.id]))
        # Like Odoo's default internal users, telephony users here may create and edit contacts.
        (cls.user_anna | cls.user_boris | cls.manager).write(
            {"groups_id": [Command.link(cls.env.ref("base.group_partner_manager").id)]}
        )
        cls.client = cls.env["res.partner"].create(
            {"name": "Known Client", "phone": "+33 6 12 34 56 78", "company_id": cls.company.id}
        )

    def _card(self, call, user=None):
        return call.with_user(user or call.user_id).telephony_caller_card()

    def _settings(self, user, **values):
        user.with_user(user).write({f"telephony_{key}": value for key, value in values.items()})

    def test_known_caller_opens_the_contact_by_default(self):
        call = self._new_call("a-1", self.user_anna)
        card = self._card(call)
        self.assertEqual(card["partner_id"], self.client.id)
        self.assertEqual([p["name"] for p in card["partners"]], ["Known Client"])
        self.assertEqual(card["number_international"], "+33 6 12 34 56 78")
        self.assertEqual(
            (card["action"]["res_model"], card["action"]["res_id"], card["action"]["views"]),
            ("res.partner", self.client.id, [(False, "form")]),
        )

    def test_card_lists_last_calls_and_open_activities(self):
        self._new_call("a-2", self.user_anna, start_date=datetime(2026, 1, 5, 10), state="missed")
        self._new_call("a-3", self.user_anna, start_date=datetime(2026, 1, 6, 10), state="answered")
        self.client.activity_schedule("mail.mail_activity_data_call", summary="Call back about the quote")
        call = self._new_call("a-4", self.user_anna)
        card = self._card(call)
        self.assertEqual(
            [c["id"] for c in card["last_calls"]], call.search([("pbx_unique_id", "in", ["a-3", "a-2"])]).ids
        )
        self.assertEqual([a["summary"] for a in card["activities"]], ["Call back about the quote"])

    def test_incoming_timeline_setting_opens_the_timeline(self):
        self._settings(self.user_anna, incoming_action="timeline")
        action = self._card(self._new_call("a-5", self.user_anna))["action"]
        self.assertEqual((action["tag"], action["params"]), ("telephony_timeline", {"partner_id": self.client.id}))

    def test_outgoing_calls_follow_the_outgoing_setting(self):
        call = self._new_call(
            "a-6", self.user_anna, direction="outbound", caller_number="201", called_number="0612345678"
        )
        self.assertFalse(self._card(call)["action"], "outgoing calls do nothing by default")
        self._settings(self.user_anna, outgoing_action="partner")
        self.assertEqual(self._card(call)["action"]["res_id"], self.client.id)

    def test_do_nothing_wins_even_for_unknown_numbers(self):
        self._settings(self.user_anna, incoming_action="nothing")
        card = self._card(self._new_call("a-7", self.user_anna, caller_number="+33 6 99 99 99 01"))
        self.assertFalse(card["action"])
        self.assertFalse(card["partners"])

    def test_internal_calls_open_nothing(self):
        call = self._new_call("a-8", self.user_anna, direction="internal", caller_number="202", called_number="201")
        self.assertFalse(self._card(call)["action"])

    def test_room_and_colleague_calls_name_who_is_called_and_offer_no_contact(self):
        room_call = self._new_call(
            "a-20",
            self.user_anna,
            direction="internal",
            caller_number="201",
            called_number="8001",
            conference_id=self.room.id,
        )
        card = self._card(room_call)
        self.assertEqual(
            {key: card[key] for key in ("internal", "internal_name", "access_code_required", "partners", "action")},
            {"internal": True, "internal_name": "Board", "access_code_required": True, "partners": [], "action": False},
        )
        colleague_call = self._new_call(
            "a-21", self.user_anna, direction="internal", caller_number="202", called_number="201"
        )
        card = self._card(colleague_call)
        self.assertEqual((card["internal"], card["internal_name"], card["number"]), (True, self.user_boris.name, "202"))

    def test_unknown_caller_card_offers_only_what_the_user_may_do(self):
        salesman = self._new_user("eve_t", "telephony.group_telephony_user", extension="204")
        card = self._card(self._new_call("a-22", salesman, caller_number="01 42 68 53 01"))
        self.assertEqual((card["can_create_contact"], card["can_link_contact"]), (False, False))
        self.assertEqual(
            (card["action"]["tag"], card["action"]["params"]),
            ("telephony_timeline", {"number": "+33142685301"}),
            "a user who may not create contacts gets the number's timeline, not a form without Save",
        )
        card = self._card(self._new_call("a-23", self.user_anna, caller_number="01 42 68 53 02"))
        self.assertEqual((card["can_create_contact"], card["can_link_contact"]), (True, True))
        self.assertEqual(card["action"]["res_model"], "res.partner")

    def test_widget_payload_names_the_other_party_in_one_number_format(self):
        known = self._new_call("a-24", self.user_anna, caller_number="0612345678", partner_id=self.client.id)
        payload = known.with_user(self.user_anna)._telephony_payload()
        self.assertEqual((payload["number_display"], payload["contact_name"]), ("+33 6 12 34 56 78", "Known Client"))
        room = self._new_call(
            "a-25",
            self.user_anna,
            direction="internal",
            caller_number="201",
            called_number="8001",
            conference_id=self.room.id,
        )
        payload = room.with_user(self.user_anna)._telephony_payload()
        self.assertEqual(
            (payload["number_display"], payload["contact_name"], payload["access_code_required"]),
            ("8001", "Board", True),
        )
        recent = self.env["telephony.call"].with_user(self.user_anna).telephony_widget_data()["recent_calls"]
        self.assertIn(("Board", "8001"), [(call["contact_name"], call["number_display"]) for call in recent])

    def test_the_card_follows_the_contact_created_for_a_ringing_call(self):
        call = self._new_call("a-26", self.user_anna, caller_number="01 42 68 53 03")
        past = self._new_call(
            "a-27",
            self.user_boris,
            caller_number="01 42 68 53 03",
            start_date=datetime(2026, 1, 5, 9, 59),
            end_date=datetime(2026, 1, 5, 10),
            state="missed",
        )
        sent = []
        users = type(self.env["res.users"])
        with patch.object(users, "_bus_send", lambda user, kind, payload: sent.append((user, kind, payload))):
            partner = (
                self.env["res.partner"]
                .with_user(self.user_anna)
                .create({"name": "Caller Now Known", "phone": "01 42 68 53 03"})
            )
        self.assertEqual((call | past).mapped("partner_id"), partner)
        self.assertEqual(
            [(user, kind) for user, kind, _payload in sent],
            [(self.user_anna, "telephony/call")],
            "only the live call is pushed: past calls are read again when the widget opens",
        )
        payload = next(payload for _user, kind, payload in sent if kind == "telephony/call")
        self.assertEqual((payload["partner_id"], payload["contact_name"]), (partner.id, "Caller Now Known"))
        card = self._card(call)
        self.assertEqual((card["partner_id"], card["partners"][0]["name"]), (partner.id, "Caller Now Known"))

    def test_demo_sales_users_may_create_and_link_contacts(self):
        anna = self.env.ref("telephony.res_users_demo_anna", raise_if_not_found=False)
        if not anna:
            self.skipTest("no demo data in this database")
        boris = self.env.ref("telephony.res_users_demo_boris")
        for user in anna | boris:
            partners = self.env["res.partner"].with_user(user)
            self.assertTrue(partners.has_access("create") and partners.has_access("write"), user.login)

    def test_unknown_number_opens_a_prefilled_new_contact(self):
        call = self._new_call("a-9", self.user_anna, caller_number="01 42 68 53 00")
        action = self._card(call)["action"]
        self.assertEqual((action["res_model"], action["views"]), ("res.partner", [[False, "form"]]))
        self.assertEqual(
            action["context"],
            {
                "default_phone": "+33 1 42 68 53 00",
                "default_country_id": self.env.ref("base.fr").id,
                "default_city": "Paris",
            },
        )
        form = Form(self.env["res.partner"].with_user(self.user_anna).with_context(**action["context"]))
        form.name = "New From Call"
        partner = form.save()
        self.assertRecordValues(partner, [{"phone_e164": "+33142685300", "city": "Paris"}])
        self.assertEqual(call.partner_id, partner, "the call that made the contact is in its history")

    def test_unknown_mobile_guesses_the_country_only(self):
        call = self._new_call("a-10", self.user_anna, caller_number="+1 415 555 2671")
        context = self._card(call)["action"]["context"]
        self.assertEqual(
            (context["default_country_id"], context["default_city"]), (self.env.ref("base.us").id, "San Francisco")
        )
        mobile = self._new_call("a-11", self.user_anna, caller_number="+33 7 81 23 45 67")
        context = self._card(mobile)["action"]["context"]
        self.assertEqual((context["default_country_id"], context["default_city"]), (self.env.ref("base.fr").id, ""))

    def test_unknown_number_timeline_setting(self):
        self._settings(self.user_anna, unknown_action="timeline")
        action = self._card(self._new_call("a-12", self.user_anna, caller_number="06 99 99 99 02"))["action"]
        self.assertEqual((action["tag"], action["params"]), ("telephony_timeline", {"number": "+33699999902"}))

    def test_hidden_number_opens_nothing(self):
        self.assertFalse(self._card(self._new_call("a-13", self.user_anna, caller_number="anonymous"))["action"])

    def test_nobody_reads_the_card_of_someone_elses_call(self):
        call = self._new_call("a-14", self.user_anna)
        with self.assertRaises(AccessError):
            self._card(call, self.user_boris)
        self.assertEqual(self._card(call, self.manager)["partner_id"], self.client.id)

    def test_lead_is_offered_only_with_crm(self):
        values = dict(self.env["res.users"]._selection_telephony_call_actions())
        self.assertEqual("lead" in values, "crm.lead" in self.env)
        if "crm.lead" not in self.env:
            with self.assertRaisesRegex(ValidationError, "lead is not an action Odoo can take on a call here"):
                self.user_anna.with_user(self.user_anna).telephony_incoming_action = "lead"

    def test_lead_action_opens_a_prefilled_lead_when_crm_is_installed(self):
        if "crm.lead" not in self.env:
            self.skipTest("CRM is not installed in this database")
        self._settings(self.user_anna, incoming_action="lead")
        action = self._card(self._new_call("a-15", self.user_anna))["action"]
        self.assertEqual(action["res_model"], "crm.lead")
        self.assertEqual(action["context"]["default_partner_id"], self.client.id)
        self.assertEqual(action["context"]["default_phone"], "+33 6 12 34 56 78")


@tagged("post_install", "-at_install")
class TestTimeline(TelephonyCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, allowed_company_ids=[cls.company.id]))
        # Like Odoo's default internal users, telephony users here may create and edit contacts.
        (cls.user_anna | cls.user_boris | cls.manager).write(
            {"groups_id": [Command.link(cls.env.ref("base.group_partner_manager").id)]}
        )
        cls.client = cls.env["res.partner"].create(
            {"name": "Timeline SA", "is_company": True, "phone": "+33 1 84 88 00 10", "company_id": cls.company.id}
        )
        cls.contact = cls.env["res.partner"].create(
            {"name": "Zoe Timeline", "parent_id": cls.client.id, "mobile": "06 12 34 56 10"}
        )

    def _feed(self, user, **kwargs):
        return self.env["telephony.timeline"].with_user(user).get_feed(**kwargs)

    def _dated_message(self, partner, body, when, note=False):
        message = partner.message_post(
            body=body, message_type="comment", subtype_xmlid="mail.mt_note" if note else "mail.mt_comment"
        )
        message.date = when
        return message

    def test_feed_merges_calls_messages_notes_and_activities_newest_first(self):
        self._new_call(
            "t-1", self.user_anna, start_date=datetime(2026, 3, 1, 9), caller_number="0184880010", state="missed"
        )
        self._new_call(
            "t-2",
            self.user_anna,
            start_date=datetime(2026, 3, 3, 9),
            caller_number="0612345610",
            state="answered",
            answer_date=datetime(2026, 3, 3, 9, 0, 5),
            end_date=datetime(2026, 3, 3, 9, 2, 5),
        )
        self._dated_message(self.client, "Quote sent", datetime(2026, 3, 2, 9))
        self._dated_message(self.contact, "Prefers mornings", datetime(2026, 3, 4, 9), note=True)
        self.client.activity_schedule(
            "mail.mail_activity_data_call", date_deadline=date(2026, 3, 5), summary="Follow up"
        )
        feed = self._feed(self.user_anna, partner_id=self.client.id)
        self.assertEqual(
            [(item["kind"], item["date"][:10]) for item in feed["items"]],
            [
                ("activity", "2026-03-05"),
                ("note", "2026-03-04"),
                ("call", "2026-03-03"),
                ("message", "2026-03-02"),
                ("call", "2026-03-01"),
            ],
        )
        calls = [item for item in feed["items"] if item["kind"] == "call"]
        self.assertEqual(
            [(c["missed"], c["talk_seconds"], c["user_name"]) for c in calls],
            [(False, 120, self.user_anna.name), (True, 0, self.user_anna.name)],
        )
        self.assertEqual(feed["partner"]["name"], "Timeline SA")
        self.assertFalse(feed["has_more"])

    def test_filter_by_kind_and_paging(self):
        for index in range(7):
            self._new_call(
                f"t-p{index}", self.user_anna, start_date=datetime(2026, 4, 1 + index, 9), caller_number="0184880010"
            )
        self._dated_message(self.client, "Between", datetime(2026, 4, 3, 12))
        only_calls = self._feed(self.user_anna, partner_id=self.client.id, kinds=["call"], limit=3)
        self.assertEqual(
            [item["date"][:10] for item in only_calls["items"]], ["2026-04-07", "2026-04-06", "2026-04-05"]
        )
        self.assertTrue(only_calls["has_more"])
        last_page = self._feed(self.user_anna, partner_id=self.client.id, offset=6, limit=3)
        self.assertEqual(
            [(item["kind"], item["date"][:10]) for item in last_page["items"]],
            [("call", "2026-04-02"), ("call", "2026-04-01")],
        )
        self.assertFalse(last_page["has_more"])
        self.assertIn("call", [kind["key"] for kind in only_calls["kinds"]])

    def test_each_user_sees_their_own_calls_in_the_feed(self):
        self._new_call("t-3", self.user_anna, caller_number="0184880010")
        self._new_call("t-4", self.user_boris, caller_number="0184880010")
        kinds = ["call"]
        self.assertEqual(len(self._feed(self.user_anna, partner_id=self.client.id, kinds=kinds)["items"]), 1)
        self.assertEqual(len(self._feed(self.manager, partner_id=self.client.id, kinds=kinds)["items"]), 2)
        with self.assertRaises(AccessError):
            self._feed(self.plain_user, partner_id=self.client.id)

    def test_apps_join_the_feed_only_for_users_who_may_read_them(self):
        if "crm.lead" not in self.env:
            self.skipTest("CRM is not installed in this database")
        lead = self.env["crm.lead"].create({"name": "Big deal", "partner_id": self.contact.id})
        kinds = [kind["key"] for kind in self._feed(self.user_anna, partner_id=self.client.id)["kinds"]]
        self.assertNotIn("lead", kinds, "Anna has no Sales rights")
        self.user_anna.write({"groups_id": [Command.link(self.env.ref("sales_team.group_sale_salesman_all_leads").id)]})
        feed = self._feed(self.user_anna, partner_id=self.client.id, kinds=["lead"])
        self.assertEqual([(item["kind"], item["res_id"]) for item in feed["items"]], [("lead", lead.id)])

    def test_raw_number_timeline_lists_the_calls_from_it(self):
        self._new_call("t-5", self.user_anna, caller_number="+33 6 55 55 55 01", start_date=datetime(2026, 5, 1, 9))
        self._new_call("t-6", self.user_anna, caller_number="06 55 55 55 01", start_date=datetime(2026, 5, 2, 9))
        self._new_call("t-7", self.user_anna, caller_number="06 55 55 55 02")
        feed = self._feed(self.user_anna, number="+33655555501")
        self.assertEqual([item["date"][:10] for item in feed["items"]], ["2026-05-02", "2026-05-01"])
        self.assertEqual((feed["partner"], feed["number_international"]), (False, "+33 6 55 55 55 01"))
        with self.assertRaisesRegex(UserError, "not a phone number"):
            self._feed(self.user_anna, number="hello")

    def test_raw_number_timeline_shows_numbers_one_way_and_offers_what_the_user_may_do(self):
        self._new_call("t-11", self.user_anna, caller_number="0655555504")
        feed = self._feed(self.user_anna, number="+33655555504")
        self.assertEqual([item["number"] for item in feed["items"]], ["+33 6 55 55 55 04"])
        self.assertEqual((feed["can_create_contact"], feed["can_link_contact"]), (True, True))
        salesman = self._new_user("eve_timeline", "telephony.group_telephony_user", extension="205")
        feed = self._feed(salesman, number="+33655555504")
        self.assertEqual((feed["can_create_contact"], feed["can_link_contact"]), (False, False))

    def test_a_timeline_of_nobody_says_so(self):
        with self.assertRaisesRegex(UserError, "of a contact or of a phone number"):
            self._feed(self.user_anna)

    def test_linking_a_number_reattaches_its_past_calls(self):
        calls = self._new_call("t-8", self.user_anna, caller_number="06 55 55 55 03") | self._new_call(
            "t-9", self.user_anna, caller_number="+33655555503"
        )
        wizard = Form(
            self.env["telephony.link.number"].with_user(self.user_anna).with_context(default_number="+33655555503")
        )
        wizard.partner_id = self.contact
        self.assertEqual(
            wizard.target_field, "phone", "the contact has a mobile: the number goes to the free phone field"
        )
        self.assertEqual(wizard.call_count, 2)
        action = wizard.save().action_link()
        self.assertEqual(self.contact.phone, "+33 6 55 55 55 03")
        self.assertEqual(self.contact.mobile, "06 12 34 56 10", "the existing mobile is untouched")
        self.assertEqual(calls.partner_id, self.contact)
        self.assertEqual(action["params"], {"partner_id": self.contact.id})
        next_call = self._new_call("t-10", self.user_anna, caller_number="+33655555503")
        self.assertEqual(next_call.partner_id, self.contact, "the next call from the number is recognised")
