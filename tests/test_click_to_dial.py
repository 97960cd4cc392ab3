"""Calls in the contact's chatter, and the number a phone call activity's Call button dials."""

from datetime import timedelta

from odoo import fields
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
