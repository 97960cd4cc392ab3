"""Calls in the contact's chatter, and the number a phone call activity's Call button dials."""

from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import TelephonyCase
from .test_ari_events import _channel, _event

CALLER = "+33612345678"


@tagged("post_install", "-at_install")
class TestCallInContactChatter(TelephonyCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Without its creation note, which OdooBot (the tests' user) writes too.
        cls.client = (
            cls.env["res.partner"]
            .with_context(mail_create_nolog=True)
            .create({"name": "Chatter Client", "mobile": "06 12 34 56 78", "country_id": cls.env.ref("base.fr").id})
        )
        # A follower who would get an e-mail for any message posted as a discussion.
        cls.client.message_subscribe(partner_ids=cls.user_boris.partner_id.ids)
        cls.odoobot = cls.env.ref("base.partner_root")

    def _forwarded_call(self, channel_id, answered=True, caller=CALLER, dialled="201"):
        """An outside caller the router forwards to Anna's phone (a real Asterisk's shapes)."""
        peer_id = f"{channel_id}-peer"
        ringing = _channel(channel_id, "Ring", caller, dialled)
        peer = _channel(peer_id, "Up", caller, "s", name=f"PJSIP/{dialled}-0000002a")
        bridge = {"id": f"call-{channel_id}", "bridge_type": "mixing", "channels": [channel_id, peer_id]}
        events = [_event("StasisStart", 0, ringing, args=[dialled])]
        if answered:
            events += [
                _event("ChannelStateChange", 6, peer),
                _event("StasisStart", 6, peer, args=["peer", channel_id]),
                _event("ChannelEnteredBridge", 6, peer, bridge=bridge),
                _event("ChannelDestroyed", 3731, peer, cause=16),
                _event("ChannelDestroyed", 3731, ringing, cause=16),
            ]
        else:
            events.append(_event("ChannelDestroyed", 20, ringing, cause=16))
        return events

    def _notes(self, partner):
        return self.env["mail.message"].search(
            [("model", "=", "res.partner"), ("res_id", "=", partner.id), ("author_id", "=", self.odoobot.id)]
        )

    def test_an_answered_call_is_one_note_on_its_contact_that_everyone_reads_and_nobody_is_mailed(self):
        self.pbx._apply_ari_events(self._forwarded_call("1795348000.1"))
        call = self.env["telephony.call"].search([("pbx_unique_id", "=", "1795348000.1")])
        self.assertRecordValues(
            call, [{"partner_id": self.client.id, "state": "answered", "contact_note_logged": True}]
        )
        note = self._notes(self.client)
        self.assertEqual(len(note), 1)
        self.assertEqual(note.subtype_id, self.env.ref("mail.mt_note"))
        self.assertEqual(note.message_type, "notification", "a log, not a message of the discussion")
        self.assertEqual(note.date, call.end_date)
        self.assertFalse(note.notification_ids, "no follower is notified")
        self.assertFalse(self.env["mail.mail"].search([("mail_message_id", "=", note.id)]), "nobody is e-mailed")
        text = note.body.striptags()
        for expected in (
            "Inbound call: Answered",
            "Talk time: 1:02:05",
            f"Answered by: {self.user_anna.name}",
            "Number: +33 6 12 34 56 78",
        ):
            self.assertIn(expected, text)
        # The colleagues who read the contact read the note: the user who took the call and a manager.
        for user in (self.user_anna, self.manager):
            self.assertIn(note, self.client.with_user(user).message_ids, user.name)

    def test_a_missed_call_says_whom_it_rang_and_how_long(self):
        self.pbx._apply_ari_events(self._forwarded_call("1795348000.2", answered=False))
        text = self._notes(self.client).body.striptags()
        for expected in ("Inbound call: Missed", "Ring time: 0:00:20", f"Rang: {self.user_anna.name}"):
            self.assertIn(expected, text)

    def test_a_call_placed_from_odoo_names_who_placed_it(self):
        call = self._new_call(
            "placed-1",
            self.user_anna,
            direction="outbound",
            caller_number="201",
            called_number="+33 6 12 34 56 78",
            state="answered",
        )
        call.write({"answer_date": call.start_date + timedelta(seconds=4)})
        call._close(call.start_date + timedelta(seconds=64))
        text = self._notes(self.client).body.striptags()
        for expected in ("Outbound call: Answered", "Talk time: 0:01:00", f"Placed by: {self.user_anna.name}"):
            self.assertIn(expected, text)

    def test_a_replayed_end_logs_the_call_once(self):
        events = self._forwarded_call("1795348000.3")
        self.pbx._apply_ari_events(events)
        self.pbx._apply_ari_events(events[-2:])
        call = self.env["telephony.call"].search([("pbx_unique_id", "=", "1795348000.3")])
        # Another path closing it again (a reconciliation after a listener restart) logs nothing more either.
        call.write({"end_date": fields.Datetime.now()})
        self.assertEqual(len(self._notes(self.client)), 1)

    def test_a_call_without_a_contact_logs_nothing(self):
        before = self.env["mail.message"].search_count([("author_id", "=", self.odoobot.id)])
        self.pbx._apply_ari_events(self._forwarded_call("1795348000.4", caller="+33655500077"))
        call = self.env["telephony.call"].search([("pbx_unique_id", "=", "1795348000.4")])
        self.assertTrue(call.end_date)
        self.assertFalse(call.partner_id)
        self.assertFalse(call.contact_note_logged)
        self.assertEqual(self.env["mail.message"].search_count([("author_id", "=", self.odoobot.id)]), before)

    def test_a_company_that_turned_the_log_off_gets_no_note(self):
        settings = self.env["res.config.settings"].with_company(self.company).create({})
        self.assertTrue(settings.telephony_log_calls_on_contact, "on by default")
        settings.telephony_log_calls_on_contact = False
        settings.execute()
        self.assertFalse(self.company.telephony_log_calls_on_contact)
        self.pbx._apply_ari_events(self._forwarded_call("1795348000.5"))
        self.assertFalse(self._notes(self.client))

    def test_a_call_journaled_after_the_fact_is_dated_when_it_ended(self):
        ended = fields.Datetime.now() - timedelta(hours=3)
        call = self._new_call(
            "outage-1", self.user_anna, state="missed", start_date=ended - timedelta(seconds=15), end_date=ended
        )
        self.assertEqual(call.partner_id, self.client)
        self.assertEqual(self._notes(self.client).date, ended)


@tagged("post_install", "-at_install")
class TestActivityCallButton(TelephonyCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.telephony_followup_hours = 2
        cls.client = cls.env["res.partner"].create(
            {
                "name": "Call Back Client",
                "phone": "01 42 68 53 00",
                "mobile": "06 55 50 00 09",
                "country_id": cls.env.ref("base.fr").id,
                "company_id": cls.company.id,
            }
        )
        cls.call_type = cls.env.ref("mail.mail_activity_data_call")

    def _missed(self, key, caller, user):
        start = fields.Datetime.now() - timedelta(hours=3)
        return self._new_call(key, user, caller_number=caller, state="missed", start_date=start, end_date=start)

    def _activity(self, record, user, activity_type=None):
        return record.activity_schedule(
            activity_type_id=(activity_type or self.call_type).id, summary="Call them", user_id=user.id
        )

    def test_a_call_back_dials_the_number_that_called(self):
        missed = self._missed("cb-1", "+33 6 55 50 00 09", self.user_anna)
        self.env["telephony.call"]._cron_schedule_callbacks()
        activity = self.client.activity_ids
        self.assertRecordValues(
            activity,
            [
                {
                    "activity_type_id": self.env.ref("telephony.mail_activity_type_call_back").id,
                    "user_id": self.user_anna.id,
                }
            ],
        )
        self.assertEqual(activity.telephony_call_id, missed)
        self.assertEqual(activity.with_user(self.user_anna).telephony_number_to_call(), "+33655500009")
        self.assertTrue(activity.exists(), "calling does not mark it done")

    def test_a_phone_call_activity_on_a_contact_dials_their_phone(self):
        activity = self._activity(self.client, self.user_anna)
        self.assertEqual(activity.with_user(self.user_anna).telephony_number_to_call(), "+33142685300")
        self.client.phone = False
        self.assertEqual(activity.with_user(self.user_anna).telephony_number_to_call(), "+33655500009")
        self.client.mobile = False
        with self.assertRaisesRegex(UserError, "Call Back Client has no phone number to call"):
            activity.with_user(self.user_anna).telephony_number_to_call()

    def test_an_activity_on_a_call_dials_its_other_party_for_who_may_read_the_call(self):
        call = self._missed("cb-2", "+33 6 55 50 00 10", self.user_boris)
        for user in (self.user_boris, self.manager):
            activity = self._activity(call, user)
            self.assertEqual(activity.with_user(user).telephony_number_to_call(), "+33655500010", user.name)
        # Assigned to Anna, who may not read the call that rang Boris: no number.
        activity = self._activity(call, self.user_anna)
        with self.assertRaises(AccessError):
            activity.with_user(self.user_anna).telephony_number_to_call()

    def test_a_record_of_another_company_is_refused(self):
        stranger = self.env["res.partner"].create(
            {"name": "Other Company Client", "phone": "+32 2 290 34 90", "company_id": self.other_company.id}
        )
        activity = self._activity(stranger, self.user_anna)
        with self.assertRaises(AccessError):
            activity.with_user(self.user_anna).telephony_number_to_call()

    def test_only_telephony_users_ask_for_the_number(self):
        activity = self._activity(self.client, self.plain_user)
        with self.assertRaisesRegex(AccessError, "Only telephony users place calls from Odoo"):
            activity.with_user(self.plain_user).telephony_number_to_call()
