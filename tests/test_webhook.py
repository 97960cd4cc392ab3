import hashlib
import hmac
import json
from datetime import datetime, timedelta, timezone
from unittest.mock import patch

from psycopg2 import errors

from odoo.exceptions import AccessError
from odoo.tests import HttpCase, tagged

from .common import TelephonyCase

SECRET = "test-webhook-secret"


def _signature(secret, body):
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@tagged("post_install", "-at_install")
class TestWebhook(TelephonyCase, HttpCase):
    """A PBX without ARI posts signed JSON call events over real HTTP; the journal and the popups follow."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.pbx.webhook_secret = SECRET
        cls.other_pbx = cls.env["telephony.pbx"].create(
            {"name": "Other PBX", "company_id": cls.company.id, "webhook_secret": "another-secret"}
        )
        cls.start = datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0) - timedelta(minutes=10)

    def _event(self, kind, second=0, **values):
        return {
            "call_id": "cloud-42",
            "event": kind,
            "direction": "inbound",
            "from": "+33612345678",
            "to": "201",
            "timestamp": (self.start + timedelta(seconds=second)).isoformat() + "Z",
            **values,
        }

    def _post(self, body, pbx=None, secret=SECRET, headers=None):
        """POST ``body`` (a dict, or raw bytes) signed with ``secret``; returns the HTTP response."""
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        all_headers = {"Content-Type": "application/json"}
        if secret:
            all_headers["X-Telephony-Signature"] = _signature(secret, raw)
        all_headers.update(headers or {})
        self.env.flush_all()
        response = self.opener.post(
            f"{self.base_url()}/telephony/webhook/{(pbx or self.pbx).id}", data=raw, headers=all_headers, timeout=12
        )
        self.env.invalidate_all()
        return response

    def _assert_refused(self, response, status, error):
        self.assertEqual(response.status_code, status, response.text)
        self.assertEqual(response.json()["error"], error)
        return response.json()["message"]

    def _calls(self):
        return self.env["telephony.call"].search([("pbx_id", "in", (self.pbx | self.other_pbx).ids)])

    def _popups_for(self, user):
        return [
            json.loads(notification.message)["payload"]
            for notification in self.env["bus.bus"].search([])
            if json.loads(notification.channel) == [self.env.cr.dbname, "res.partner", user.partner_id.id]
            and json.loads(notification.message)["type"] == "telephony/call"
        ]

    def test_ringing_answered_hangup_journal_one_call_and_pop_up(self):
        answers = [
            self._post(self._event("ringing", 0)),
            self._post(self._event("answered", 5)),
            self._post(self._event("hangup", 65, cause="normal")),
        ]
        self.assertEqual([answer.status_code for answer in answers], [200, 200, 200])
        self.assertEqual(
            [answer.json() for answer in answers],
            [
                {"status": "ok", "call_id": "cloud-42", "state": state, "changed": True, "warnings": []}
                for state in ("ringing", "answered", "answered")
            ],
        )
        call = self._calls()
        self.assertRecordValues(
            call,
            [
                {
                    "pbx_unique_id": "webhook-cloud-42",
                    "direction": "inbound",
                    "state": "answered",
                    "caller_number_e164": "+33612345678",
                    "called_number": "201",
                    "user_id": self.user_anna.id,
                    "company_id": self.company.id,
                    "start_date": self.start,
                    "ring_seconds": 5,
                    "talk_seconds": 60,
                }
            ],
        )
        self.assertEqual(
            [popup["state"] for popup in self._popups_for(self.user_anna)], ["ringing", "answered", "answered"]
        )
        self.assertEqual(self._popups_for(self.user_anna)[-1]["id"], call.id)
        self.assertTrue(self._popups_for(self.user_anna)[-1]["end_date"], "the last popup says the call ended")

    def test_replayed_events_change_nothing(self):
        for kind, second in (("ringing", 0), ("hangup", 30)):
            self._post(self._event(kind, second))
        popups = len(self._popups_for(self.user_anna))
        for kind, second in (("ringing", 0), ("hangup", 30), ("hangup", 40)):
            answer = self._post(self._event(kind, second))
            self.assertEqual(answer.status_code, 200)
            self.assertEqual((answer.json()["changed"], answer.json()["state"]), (False, "missed"))
        self.assertRecordValues(self._calls(), [{"state": "missed", "ring_seconds": 30, "talk_seconds": 0}])
        self.assertEqual(len(self._popups_for(self.user_anna)), popups, "a replay pops nothing up again")

    def test_events_out_of_order_end_as_if_in_order(self):
        self._post(self._event("hangup", 65))
        self._post(self._event("answered", 5))
        self._post(self._event("ringing", 0))
        self.assertRecordValues(
            self._calls(),
            [{"state": "answered", "start_date": self.start, "ring_seconds": 5, "talk_seconds": 60}],
        )

    def test_answer_reported_after_the_end_is_ignored(self):
        self._post(self._event("ringing", 0))
        self._post(self._event("hangup", 20, cause="no_answer"))
        answer = self._post(self._event("answered", 30))
        self.assertEqual((answer.status_code, answer.json()["changed"]), (200, False))
        self.assertRecordValues(self._calls(), [{"state": "missed", "answer_date": False, "ring_seconds": 20}])

    def test_hangup_of_an_unknown_call_journals_it_closed(self):
        self._post(self._event("hangup", 0, cause="busy"))
        self.assertRecordValues(
            self._calls(), [{"state": "busy", "start_date": self.start, "end_date": self.start, "answer_date": False}]
        )

    def test_outbound_call_is_the_extension_users(self):
        answer = self._post(
            self._event("answered", 0, direction="outbound", extension="202", **{"from": "202", "to": "0184880000"})
        )
        self.assertEqual(answer.status_code, 200)
        self.assertRecordValues(
            self._calls(),
            [{"direction": "outbound", "user_id": self.user_boris.id, "called_number_e164": "+33184880000"}],
        )
        self.assertEqual([popup["state"] for popup in self._popups_for(self.user_boris)], ["answered"])

    def test_unknown_extension_is_journaled_with_a_warning(self):
        answer = self._post(self._event("ringing", extension="299", to="+33184880000"))
        self.assertEqual(answer.status_code, 200)
        self.assertIn("299", answer.json()["warnings"][0])
        self.assertRecordValues(self._calls(), [{"user_id": False, "called_number": "+33184880000"}])

    def test_forged_requests_are_refused_alike(self):
        body = json.dumps(self._event("ringing")).encode()
        no_secret = self.env["telephony.pbx"].create({"name": "No webhook", "company_id": self.company.id})
        archived = self.env["telephony.pbx"].create(
            {"name": "Archived", "company_id": self.company.id, "webhook_secret": SECRET, "active": False}
        )
        forgeries = {
            "wrong signature": self._post(body, secret="guessed"),
            "no signature": self._post(body, secret=None),
            "another PBX's secret": self._post(body, secret="another-secret"),
            "malformed signature": self._post(body, headers={"X-Telephony-Signature": "sha256=zz"}),
            "bare hex signature": self._post(
                body, headers={"X-Telephony-Signature": _signature(SECRET, body).removeprefix("sha256=")}
            ),
            "signature of another body": self._post(
                body, headers={"X-Telephony-Signature": _signature(SECRET, body + b" ")}
            ),
            "PBX without a secret": self._post(body, pbx=no_secret, secret=""),
            "archived PBX": self._post(body, pbx=archived),
            "unknown PBX": self._post(body, pbx=self.env["telephony.pbx"].browse(999999)),
        }
        messages = set()
        for forgery, response in forgeries.items():
            with self.subTest(forgery):
                messages.add(self._assert_refused(response, 401, "unauthorized"))
                self.assertIn("X-Telephony-Signature", response.headers["WWW-Authenticate"])
        self.assertEqual(len(messages), 1, "no answer tells which PBX ids exist")
        self.assertFalse(self._calls(), "nothing forged reached the journal")

    def test_body_over_the_limit_is_refused_before_reading(self):
        event = self._event("ringing")
        event["padding"] = "x" * 17000
        message = self._assert_refused(self._post(event), 413, "too_large")
        self.assertIn("16384", message)

    def test_bodies_that_are_not_a_json_event(self):
        cases = {
            b"ringing, please": "invalid_json",
            b"": "invalid_json",
            b"\xff\xfe{}": "invalid_json",
            b"[1, 2]": "invalid_json",
            b'"ringing"': "invalid_json",
            b"[" * 5000: "invalid_json",
        }
        for body, error in cases.items():
            with self.subTest(body=body[:20]):
                self._assert_refused(self._post(body), 400, error)
        form = self._post(b"call_id=1", headers={"Content-Type": "application/x-www-form-urlencoded"})
        self.assertIn("application/json", self._assert_refused(form, 415, "unsupported_media_type"))
        self.assertFalse(self._calls())

    def test_each_bad_field_is_named(self):
        future = (datetime.now(timezone.utc) + timedelta(days=1)).isoformat()
        cases = [
            ({"call_id": None}, "call_id", "missing_field"),
            ({"event": None}, "event", "missing_field"),
            ({"call_id": ""}, "call_id", "invalid_field"),
            ({"call_id": "two words"}, "call_id", "invalid_field"),
            ({"call_id": "x" * 129}, "call_id", "invalid_field"),
            ({"call_id": 42}, "call_id", "invalid_field"),
            ({"event": "ring"}, "event", "invalid_field"),
            ({"direction": "sideways"}, "direction", "invalid_field"),
            ({"from": 33612345678}, "from", "invalid_field"),
            ({"from": "<script>"}, "from", "invalid_field"),
            ({"to": ""}, "to", "invalid_field"),
            ({"to": "1" * 33}, "to", "invalid_field"),
            ({"timestamp": "2026-11-22T10:00:00"}, "timestamp", "invalid_field"),
            ({"timestamp": "yesterday"}, "timestamp", "invalid_field"),
            ({"timestamp": "2001-01-01T10:00:00Z"}, "timestamp", "invalid_field"),
            ({"timestamp": future}, "timestamp", "invalid_field"),
            ({"timestamp": "0001-01-01T00:00:00+01:00"}, "timestamp", "invalid_field"),
            ({"extension": "two-o-one"}, "extension", "invalid_field"),
            ({"cause": "bored"}, "cause", "invalid_field"),
            ({"cause": "busy"}, "cause", "invalid_field"),
            ({"callid": "42"}, "callid", "unknown_field"),
        ]
        for change, field, error in cases:
            with self.subTest(field=field, change=change):
                event = {key: value for key, value in {**self._event("ringing"), **change}.items() if value is not None}
                message = self._assert_refused(self._post(event), 400, error)
                self.assertIn(f"'{field}'", message)
        self.assertFalse(self._calls())

    def test_only_post_is_allowed(self):
        url = f"{self.base_url()}/telephony/webhook/{self.pbx.id}"
        for method in ("GET", "PUT", "DELETE", "OPTIONS"):
            with self.subTest(method=method):
                answer = self.opener.request(method, url, timeout=12)
                self._assert_refused(answer, 405, "method_not_allowed")
                self.assertEqual(answer.headers["Allow"], "POST")

    def test_clash_with_a_concurrent_delivery_is_applied_again(self):
        """Two deliveries at once cannot happen under the test lock: the clash the second one meets is injected."""
        pbx_class = type(self.env["telephony.pbx"])
        original = pbx_class._apply_webhook_event
        clashes = [errors.UniqueViolation(), errors.SerializationFailure()]

        def clash_then_apply(pbx, event):
            pbx.env["telephony.call"].create(pbx._webhook_call_values(event)[0] | {"pbx_unique_id": "half-done"})
            if clashes:
                raise clashes.pop()
            return original(pbx, event)

        with patch.object(pbx_class, "_apply_webhook_event", clash_then_apply):
            answer = self._post(self._event("ringing"))
        self.assertEqual((answer.status_code, answer.json()["changed"]), (200, True))
        self.assertEqual(
            sorted(self._calls().mapped("pbx_unique_id")),
            ["half-done", "webhook-cloud-42"],
            "what the clashing attempts wrote was rolled back, else the last one would clash on half-done",
        )

    def test_unexpected_failure_answers_retry_later(self):
        with (
            patch.object(type(self.env["telephony.pbx"]), "_apply_webhook_event", side_effect=ZeroDivisionError),
            self.assertLogs("odoo.addons.telephony.controllers.main", "ERROR"),
        ):
            answer = self._post(self._event("ringing"))
        self._assert_refused(answer, 503, "unavailable")
        self.assertFalse(self._calls())

    def test_manager_generates_and_turns_off_the_secret(self):
        pbx = self.pbx.with_user(self.manager)
        pbx.action_generate_webhook_secret()
        self.assertGreaterEqual(len(pbx.webhook_secret), 40)
        self.assertNotEqual(pbx.webhook_secret, SECRET)
        self.assertTrue(pbx.webhook_url.endswith(f"/telephony/webhook/{self.pbx.id}"))
        self._assert_refused(self._post(self._event("ringing")), 401, "unauthorized")
        self.assertEqual(self._post(self._event("ringing"), secret=pbx.webhook_secret).status_code, 200)
        pbx.action_disable_webhook()
        self.assertFalse(pbx.webhook_secret)

    def test_users_cannot_read_or_change_the_secret(self):
        pbx = self.pbx.with_user(self.user_anna)
        form = pbx.get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertNotIn("webhook_secret", form, "a user's browser is never sent the secret")
        manager_form = self.pbx.with_user(self.manager).get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn("webhook_secret", manager_form)
        with self.assertRaises(AccessError):
            pbx.read(["webhook_secret"])
        with self.assertRaises(AccessError):
            pbx.action_generate_webhook_secret()
