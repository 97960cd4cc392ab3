from odoo import api, fields, models
from odoo.exceptions import AccessError

from ..tools.ari_events import BUSY_CAUSES, caller_number, event_datetime, hangup_cause

# A participant only moves forward through these ranks, so a replayed or late event changes nothing.
STATE_RANK = {"calling": 0, "ringing": 1, "waiting": 2, "joined": 3, "left": 4, "failed": 4, "rejected": 4}
LIVE_STATES = ("calling", "ringing", "waiting", "joined")


class TelephonyConferenceParticipant(models.Model):
    _name = "telephony.conference.participant"
    _description = "Conference Participant"
    _order = "join_date, id"

    conference_id = fields.Many2one("telephony.conference", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="conference_id.company_id", store=True, index=True)
    user_id = fields.Many2one("res.users", index="btree_not_null")
    employee_id = fields.Many2one("hr.employee", index="btree_not_null")
    partner_id = fields.Many2one("res.partner", string="Contact", index="btree_not_null")
    number = fields.Char(string="Number Dialled", help="Extension or phone number the PBX called or that called in.")
    channel_id = fields.Char(
        string="PBX Channel", index="btree_not_null", copy=False, help="Unique id of the participant's PBX channel."
    )
    state = fields.Selection(
        [
            ("calling", "Calling"),
            ("ringing", "Ringing"),
            ("waiting", "Waiting for administrator"),
            ("joined", "Joined"),
            ("left", "Left"),
            ("failed", "Failed"),
            ("rejected", "Rejected"),
        ],
        default="calling",
        required=True,
    )
    muted = fields.Boolean()
    muted_by_moderator = fields.Boolean(
        help="Muted by the room's administrator or creator (or a manager): only they unmute the participant."
    )
    talking = fields.Boolean()
    is_administrator = fields.Boolean()
    join_date = fields.Datetime(string="Joined On")
    leave_date = fields.Datetime(string="Left On")
    session = fields.Integer(
        readonly=True, index=True, help="The conference's session this participant took part in (see its counter)."
    )
    invited_by_id = fields.Many2one("res.users", readonly=True, help="Who had the PBX call this participant.")

    @api.model_create_multi
    def create(self, vals_list):
        # A permanent room lives for years: each time someone arrives in the empty room, a new session starts,
        # so that the room shows who is in it now while earlier sessions stay in the journal.
        started = set()
        for vals in vals_list:
            conference = self.env["telephony.conference"].browse(vals["conference_id"]).sudo()
            if conference.id not in started and not self.sudo().search_count(
                [("conference_id", "=", conference.id), ("state", "in", LIVE_STATES)], limit=1
            ):
                conference.session += 1
                started.add(conference.id)
            vals["session"] = conference.session
        return super().create(vals_list)

    @api.depends("user_id", "employee_id", "partner_id", "number")
    def _compute_display_name(self):
        for participant in self:
            person = participant.user_id or participant.employee_id or participant.partner_id
            participant.display_name = person.display_name or participant.number or ""

    def _move_to(self, state, when):
        """Move forward to ``state``; a participant never goes back (replayed events are no-ops)."""
        self.ensure_one()
        if STATE_RANK[state] <= STATE_RANK[self.state] and not (self.state == "joined" and state == "left"):
            return False
        values = {"state": state}
        if state == "joined" and not self.join_date:
            values["join_date"] = when
        if state not in LIVE_STATES:
            values.update(leave_date=when, talking=False)
        self.write(values)
        return True

    def _ari_apply(self, event):
        """Apply one ARI event about this participant's channel; return whether anything changed."""
        self.ensure_one()
        kind = event.get("type")
        when = event_datetime(event)
        if kind == "ChannelStateChange" and event["channel"].get("state") == "Ringing":
            return self._move_to("ringing", when)
        if kind == "ChannelEnteredBridge":
            return self._move_to("joined", when)
        if kind == "ChannelLeftBridge":
            return self.state == "joined" and self._move_to("left", when)
        if kind in ("ChannelTalkingStarted", "ChannelTalkingFinished"):
            talking = kind == "ChannelTalkingStarted" and self.state == "joined" and not self.muted
            if self.talking != talking:
                self.talking = talking
                return True
            return False
        if kind in ("StasisEnd", "ChannelDestroyed"):
            if self.state in ("waiting", "joined"):
                return self._move_to("left", when)
            cause = hangup_cause(event)
            if not self._move_to("rejected" if cause in BUSY_CAUSES else "failed", when):
                return False
            if self.state == "failed":
                self._tell_inviter_it_failed(event.get("cause_txt") or "", cause)
            return True
        return False

    def _tell_inviter_it_failed(self, cause_txt, cause):
        """Whoever had the PBX call this participant learns that the call could not be made, and why.
        A dial string the PBX cannot place (a missing dialplan context) ends with cause 0, "Unknown"."""
        self.ensure_one()
        if not self.invited_by_id:
            return
        env = self.with_context(lang=self.invited_by_id.lang).env  # the notice is in their language
        self.invited_by_id._bus_send(
            "simple_notification",
            {
                "type": "danger",
                "title": env._("Could not call %(who)s", who=self.display_name),
                "message": env._(
                    "The PBX could not call %(who)s into %(room)s: it reports “%(cause_txt)s” (cause %(cause)s)."
                    " If this keeps happening, check the PBX's dial templates.",
                    who=self.display_name,
                    room=self.conference_id.display_name,
                    cause_txt=cause_txt or env._("no reason given"),
                    cause=cause,
                ),
                "sticky": False,
            },
        )

    def _call_values(self, pbx, internal, caller_number):
        """The journal row of the PBX's call to this participant: one row per leg of a conference."""
        self.ensure_one()
        return {
            "pbx_id": pbx.id,
            "pbx_unique_id": self.channel_id,
            "company_id": pbx.company_id.id,
            "direction": "internal" if internal else "outbound",
            "caller_number": caller_number,
            "called_number": self.number,
            "user_id": self.user_id.id,
            "employee_id": self.employee_id.id,
            "partner_id": self.partner_id.id,
            "conference_id": self.conference_id.id,
        }

    @api.model
    def _ari_create_for_caller(self, conference, event, state, call=None):
        """A caller who dialled into ``conference`` shows up as a participant (a user placing the call
        from Odoo is known by the call, since their phone shows the number they dialled)."""
        number = call.caller_number if call else caller_number(event)
        user = self.env["res.users"]._telephony_user_with_extension(number, conference.company_id)
        return self.create(
            {
                "conference_id": conference.id,
                "channel_id": event["channel"]["id"],
                "number": number,
                "user_id": user.id,
                "employee_id": user.employee_id.id,
                "is_administrator": bool(user) and user == conference.administrator_id,
                "state": state,
                "join_date": event_datetime(event) if state == "joined" else False,
            }
        )

    def _telephony_payload(self):
        self.ensure_one()
        return {
            "id": self.id,
            "name": self.display_name,
            "number": self.number or "",
            "state": self.state,
            "muted": self.muted,
            "muted_by_moderator": self.muted_by_moderator,
            "talking": self.talking,
            "is_administrator": self.is_administrator,
            "user_id": self.user_id.id,
            "partner_id": (self.user_id.partner_id or self.partner_id).id,
        }

    def _hang_up(self):
        self.ensure_one()
        self.conference_id._pbx()._call_pbx(lambda client: client.hangup_if_present(self.channel_id))
        self._move_to("left" if self.state in ("waiting", "joined") else "failed", fields.Datetime.now())
        self.conference_id._notify_participants()

    def _set_muted(self, muted, by_moderator=False):
        self.ensure_one()
        direction = "in"
        if muted:
            self.conference_id._pbx()._call_pbx(lambda client: client.mute(self.channel_id, direction))
        else:
            self.conference_id._pbx()._call_pbx(lambda client: client.unmute(self.channel_id, direction))
        values = {"muted": muted, "talking": self.talking and not muted}
        if by_moderator:
            values["muted_by_moderator"] = muted
        self.write(values)
        self.conference_id._notify_participants()

    def _check_is_own(self):
        for participant in self:
            if participant.user_id != self.env.user and not self.env.su:
                raise AccessError(self.env._("You can only mute yourself or leave for yourself."))

    def action_mute_self(self, muted=True):
        """Mute or unmute my own microphone; a mute the room's moderator imposed, only a moderator lifts."""
        self._check_is_own()
        for participant in self:
            if not muted and participant.muted_by_moderator and not participant.conference_id._may_moderate():
                raise AccessError(
                    self.env._(
                        "The moderator of %(room)s muted you: only they can unmute you.",
                        room=participant.conference_id.display_name,
                    )
                )
            participant.sudo()._set_muted(muted)
        return True

    def action_leave(self):
        """Leave the conference: my call is hung up."""
        self._check_is_own()
        for participant in self:
            participant.sudo()._hang_up()
        return True
