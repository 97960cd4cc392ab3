"""The call journal: one row per conversation, as the PBX saw it.

The jobs around it live beside it: event application (telephony_call_events.py), click-to-dial
(telephony_call_dial.py), the widget's questions (telephony_call_widget.py), the call-back cron
(telephony_call_followup.py), the note in the contact's chatter (telephony_call_chatter.py) and demo
data (telephony_call_demo.py).
"""

from odoo import api, fields, models
from odoo.tools import SQL
from odoo.tools.sql import create_index

from ..tools.ari_events import BUSY_CAUSES
from ..tools.phone import to_e164_lenient

FAILURE_CAUSES = {1, 3, 27, 34, 38, 41, 42}  # unallocated number, no route, out of order, congestion, ...
CALLBACK_FIELDS = {"state", "direction", "caller_number", "called_number", "start_date", "company_id"}


def callback_pending_sql(alias):
    """SQL condition: a missed inbound call from a known number with no later answered call with that
    number, nor any later call placed to it (a call back attempt counts), in the same company."""
    return SQL(
        f"""{alias}.state = 'missed' AND {alias}.direction = 'inbound' AND {alias}.contact_number_e164 IS NOT NULL
        AND NOT EXISTS (
            SELECT 1 FROM telephony_call later
             WHERE later.contact_number_e164 = {alias}.contact_number_e164
               AND later.company_id = {alias}.company_id
               AND later.start_date > {alias}.start_date
               AND (later.state = 'answered' OR later.direction = 'outbound'))"""
    )


class TelephonyCall(models.Model):
    """One call as the PBX saw it. Rows are written by the PBX listener, never by hand."""

    _name = "telephony.call"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _description = "Phone Call"
    _order = "start_date desc, id desc"
    # Nobody writes a call, so the default ("write") hid its activities (call-backs) from everyone but their
    # assignee, managers included, and kept notes off its chatter: whoever may read the call may, as on a task.
    _mail_post_access = "read"
    _check_company_auto = True

    direction = fields.Selection(
        [("inbound", "Inbound"), ("outbound", "Outbound"), ("internal", "Internal")], required=True, index=True
    )
    state = fields.Selection(
        [
            ("ringing", "Ringing"),
            ("answered", "Answered"),
            ("missed", "Missed"),
            ("busy", "Busy"),
            ("failed", "Failed"),
            ("rejected", "Wrong Access Code"),
        ],
        required=True,
        default="ringing",
        index=True,
    )
    caller_number = fields.Char()
    caller_number_e164 = fields.Char(
        string="Caller Number (E.164)", compute="_compute_numbers_e164", store=True, index="btree_not_null"
    )
    called_number = fields.Char()
    called_number_e164 = fields.Char(
        string="Called Number (E.164)", compute="_compute_numbers_e164", store=True, index="btree_not_null"
    )
    contact_number_e164 = fields.Char(
        string="Contact Number (E.164)",
        compute="_compute_numbers_e164",
        store=True,
        index="btree_not_null",
        help="The outside party's number: the caller of an inbound call, the called number of an outbound one.",
    )
    partner_id = fields.Many2one("res.partner", string="Contact", index="btree_not_null", check_company=True)
    user_id = fields.Many2one("res.users", index="btree_not_null", check_company=True)
    answered_user_id = fields.Many2one(
        "res.users",
        string="Answered By",
        index="btree_not_null",
        check_company=True,
        help="The user whose phone the PBX rang for this call and who picked up.",
    )
    employee_id = fields.Many2one("hr.employee", index="btree_not_null")
    conference_id = fields.Many2one("telephony.conference", index="btree_not_null", check_company=True)
    incoming_number_id = fields.Many2one("telephony.incoming.number", index="btree_not_null", check_company=True)
    pbx_id = fields.Many2one("telephony.pbx", string="PBX", required=True, ondelete="restrict", check_company=True)
    pbx_unique_id = fields.Char(string="PBX Call Id", required=True, help="The PBX's unique id of the call.")
    start_date = fields.Datetime(string="Started On", required=True, default=fields.Datetime.now, index=True)
    answer_date = fields.Datetime(string="Answered On")
    end_date = fields.Datetime(string="Ended On")
    ring_seconds = fields.Integer(compute="_compute_durations", store=True, aggregator="avg")
    talk_seconds = fields.Integer(compute="_compute_durations", store=True, aggregator="sum")
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company, index=True)
    callback_pending = fields.Boolean(
        string="Not Called Back",
        readonly=True,
        copy=False,
        help="A missed call from a known number with no later answered call with that number, nor a call placed to it.",
    )
    followup_scheduled = fields.Boolean(
        string="Call Back Scheduled", readonly=True, copy=False, help="A call-back activity was scheduled for it."
    )
    on_hold = fields.Boolean(readonly=True, copy=False, help="Someone on this call put it on hold.")
    transfer_state = fields.Selection(
        [
            ("consulting", "Consulting"),
            ("ringing", "Transferring"),
            ("answered", "Transferred"),
            ("failed", "Transfer Failed"),
            ("returned", "Taken Back"),
        ],
        readonly=True,
        copy=False,
        help="Consulting: the other party waits on hold while the user talks to whom they transfer it to. "
        "Transfer Failed: the target did not take the call and the user's phone rings to take it back; "
        "Taken Back: the user did.",
    )
    transfer_number = fields.Char(string="Transferred To", readonly=True, copy=False)
    transfer_user_id = fields.Many2one(
        "res.users", string="Transferred To User", readonly=True, copy=False, index="btree_not_null"
    )
    transferred_by_id = fields.Many2one("res.users", readonly=True, copy=False, index="btree_not_null")
    consult_call_id = fields.Many2one(
        "telephony.call",
        string="Consultation",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The call the user placed to the target of an attended transfer, while this one was on hold.",
    )
    # Which PBX channels stand for whom since a transfer (see pbx/calls.py for how they are named).
    transfer_leg_id = fields.Char(readonly=True, copy=False, index="btree_not_null")
    transferred_leg_id = fields.Char(readonly=True, copy=False)

    _sql_constraints = [
        ("pbx_unique_id_uniq", "UNIQUE(pbx_id, pbx_unique_id)", "The PBX reported this call id twice."),
    ]

    def init(self):
        # The reports read a company's calls over a period, and call-back checks look a number's later calls up.
        create_index(self.env.cr, "telephony_call_company_start_idx", self._table, ["company_id", "start_date"])
        create_index(
            self.env.cr,
            "telephony_call_contact_number_start_idx",
            self._table,
            ["contact_number_e164", "start_date"],
            where="contact_number_e164 IS NOT NULL",
        )

    def _update_callback_pending(self):
        """Keep "not called back" true to these calls: a call back (answered, or placed to the number)
        clears the earlier missed calls of its number; a missed call is pending unless one came later.
        Stored, so that the reports count it instead of looking every missed call's number up."""
        if not self.ids:
            return
        self.flush_recordset(["state", "direction", "contact_number_e164", "start_date", "company_id"])
        ids = tuple(self.ids)
        self.env.cr.execute(
            SQL(
                """UPDATE telephony_call missed
                      SET callback_pending = false
                     FROM telephony_call back
                    WHERE back.id IN %s
                      AND (back.state = 'answered' OR back.direction = 'outbound')
                      AND missed.callback_pending
                      AND missed.contact_number_e164 = back.contact_number_e164
                      AND missed.company_id = back.company_id
                      AND missed.start_date < back.start_date""",
                ids,
            )
        )
        self.env.cr.execute(self._set_callback_pending_sql(SQL("id IN %s", ids)))
        self.invalidate_model(["callback_pending"])

    @api.model
    def _recompute_callback_pending_all(self):
        """Recompute "not called back" on the whole journal in one statement (upgrade, bulk imports)."""
        self.flush_model()
        # Fresh statistics first: after a bulk load, the planner would otherwise scan the whole journal for
        # every missed call instead of using the (number, start) index.
        self.env.cr.execute("ANALYZE telephony_call")
        self.env.cr.execute(self._set_callback_pending_sql(SQL("TRUE")))
        self.invalidate_model(["callback_pending"])

    @api.model
    def _set_callback_pending_sql(self, where):
        # Only the rows whose flag changes are written: rewriting a million rows to store the same value is
        # what made a full recompute slow.
        pending = SQL("COALESCE((%s), false)", callback_pending_sql("telephony_call"))
        return SQL(
            "UPDATE telephony_call SET callback_pending = %s WHERE %s AND callback_pending IS DISTINCT FROM %s",
            pending,
            where,
            pending,
        )

    @api.depends("direction", "caller_number", "called_number", "company_id.country_id")
    def _compute_numbers_e164(self):
        for call in self:
            country_code = call.company_id.country_id.code
            call.caller_number_e164 = to_e164_lenient(call.caller_number, country_code)
            call.called_number_e164 = to_e164_lenient(call.called_number, country_code)
            call.contact_number_e164 = {
                "inbound": call.caller_number_e164,
                "outbound": call.called_number_e164,
            }.get(call.direction, False)

    @api.model_create_multi
    def create(self, vals_list):
        # The PBX journals calls by the thousand: no follower, creation message or tracking for each of them;
        # the thread is there for the call-back activities and notes.
        quiet = self.with_context(mail_create_nosubscribe=True, mail_create_nolog=True, tracking_disable=True)
        calls = super(TelephonyCall, quiet).create(vals_list).with_env(self.env)
        # Linking the contact is part of journaling the call: the event that created it notifies its user.
        unmatched = calls.filtered(lambda call: not call.partner_id and call.contact_number_e164)
        unmatched.with_context(telephony_journaling=True)._match_partner()
        calls._update_callback_pending()
        return calls

    def write(self, vals):
        result = super().write(vals)
        if vals.keys() & CALLBACK_FIELDS:
            self._update_callback_pending()
        return result

    def _match_partner(self):
        """Link each call to the contact its outside number belongs to (see res.partner._telephony_match)."""
        partners = self.env["res.partner"].sudo()
        for call in self:
            call.partner_id = partners._telephony_match(call.contact_number_e164, call.company_id)[:1]

    @api.depends("start_date", "answer_date", "end_date")
    def _compute_durations(self):
        for call in self:
            rang_until = call.answer_date or call.end_date
            call.ring_seconds = _seconds_between(call.start_date, rang_until)
            call.talk_seconds = _seconds_between(call.answer_date, call.end_date)

    @api.depends("direction", "caller_number", "called_number", "partner_id")
    def _compute_display_name(self):
        labels = dict(self._fields["direction"]._description_selection(self.env))
        for call in self:
            other = call.called_number if call.direction == "outbound" else call.caller_number
            who = call.partner_id.display_name or other or self.env._("unknown number")
            call.display_name = f"{labels.get(call.direction, '')} · {who}"

    def _close(self, when, cause=0, placed=True):
        """End the call at ``when``; an unanswered call ends busy, failed or missed by the hangup cause,
        and failed when the PBX never placed it."""
        self.ensure_one()
        values = {"end_date": when}
        if self.state == "ringing":
            values["state"] = self._unanswered_state(cause) if placed else "failed"
        self.write(values)

    @api.model
    def _unanswered_state(self, cause):
        if cause in BUSY_CAUSES:
            return "busy"
        if cause in FAILURE_CAUSES:
            return "failed"
        return "missed"

    def _notify_user(self):
        """Both ends of a call between users see it move: who placed it, who answered it, who transferred it
        and to whom. A consultation moves the call it was placed from too: the widget shows it there."""
        calls = self | self.search([("consult_call_id", "in", self.ids)]) if self.ids else self
        for call in calls:
            for user in call.user_id | call.answered_user_id | call.transfer_user_id | call.transferred_by_id:
                # Labels in the receiver's language: the listener writing this speaks none in particular.
                user._bus_send("telephony/call", call.with_context(lang=user.lang)._telephony_payload())

    def _telephony_payload(self):
        self.ensure_one()
        return {
            "id": self.id,
            "direction": self.direction,
            "state": self.state,
            "state_label": dict(self._fields["state"]._description_selection(self.env))[self.state],
            "answered_user_id": self.answered_user_id.id,
            "caller_number": self.caller_number or "",
            "called_number": self.called_number or "",
            "partner_id": self.partner_id.id,
            "conference_id": self.conference_id.id,
            "start_date": fields.Datetime.to_string(self.start_date),
            "answer_date": fields.Datetime.to_string(self.answer_date) if self.answer_date else False,
            "end_date": fields.Datetime.to_string(self.end_date) if self.end_date else False,
            "display_name": self.display_name,
            "on_hold": self.on_hold,
            "transfer_state": self.transfer_state or False,
            "transfer_number": self.transfer_number or "",
            "transfer_user_id": self.transfer_user_id.id,
            "transferred_by_id": self.transferred_by_id.id,
            "consult": self.consult_call_id._telephony_consult_payload() if self.consult_call_id else False,
        }

    def _telephony_consult_payload(self):
        """The consultation of an attended transfer, as the call it was placed from shows it."""
        self.ensure_one()
        return {
            "id": self.id,
            "state": self.state,
            "answer_date": fields.Datetime.to_string(self.answer_date) if self.answer_date else False,
            "end_date": fields.Datetime.to_string(self.end_date) if self.end_date else False,
        }


def _seconds_between(start, end):
    if not start or not end:
        return 0
    return max(0, int((end - start).total_seconds()))
