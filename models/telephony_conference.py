import re
import uuid

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from ..pbx.ari import PbxError
from ..pbx.conference import RING_SECONDS, Room
from ..tools.groups import MANAGER_GROUP, USER_GROUP
from ..tools.phone import to_e164
from .telephony_extension_mixin import EXTENSION_PATTERN
from .telephony_recording import RECORDING_POLICIES

ACCESS_CODE_PATTERN = re.compile(r"[0-9]{3,10}")  # [0-9], not \d (any Unicode digit): typed on a keypad
# What a conference is and where it lives: only managers change them once it exists, else a user could turn
# their meeting into a room everyone reaches, or take over a room through its company or PBX.
MANAGER_ONLY_FIELDS = ("kind", "extension", "creator_id", "company_id", "pbx_id", "recording_policy")


class TelephonyConference(models.Model):
    _name = "telephony.conference"
    _description = "Conference Room"
    _inherit = ["mail.thread", "mail.activity.mixin", "telephony.extension.mixin"]
    _order = "kind desc, extension, id desc"
    _check_company_auto = True

    name = fields.Char(required=True, tracking=True)
    active = fields.Boolean(default=True, tracking=True)
    kind = fields.Selection(
        [("room", "Permanent room"), ("meeting", "Ad-hoc meeting")],
        required=True,
        default=lambda self: "room" if self.env.su or self.env.user.has_group(MANAGER_GROUP) else "meeting",
        tracking=True,
        help="A permanent room is dialled by its extension; an ad-hoc meeting calls its participants.",
    )
    extension = fields.Char(
        tracking=True,
        index="btree_not_null",
        help="Internal number everyone dials to join the room: 3 to 5 digits.",
    )
    access_code = fields.Char(
        groups=MANAGER_GROUP,
        copy=False,
        tracking=True,
        help="Digits a caller types, followed by #, before entering the room. Leave empty for an open room.",
    )
    administrator_access_code = fields.Char(
        string="Room Access Code",
        compute="_compute_administrator_access_code",
        inverse="_inverse_administrator_access_code",
        help="The access code, shown to the room's administrator.",
    )
    has_access_code = fields.Boolean(compute="_compute_has_access_code", compute_sudo=True)
    administrator_id = fields.Many2one(
        "res.users",
        tracking=True,
        check_company=True,
        domain=[("share", "=", False)],
        help="The user who manages the room; with 'wait for the administrator', the room opens when they join.",
    )
    administrator_extension = fields.Char(
        related="administrator_id.telephony_extension", string="Administrator Extension"
    )
    is_current_user_administrator = fields.Boolean(compute="_compute_is_current_user_administrator")
    recording_policy = fields.Selection(
        RECORDING_POLICIES,
        string="Record",
        help="Empty: the company's setting. A room's session is recorded once, from its first caller to its last, "
        "whatever number its callers dialled; On Demand records nothing in a room.",
    )
    wait_for_administrator = fields.Boolean(
        string="Wait for the Administrator",
        tracking=True,
        help="Nobody can use the room until the administrator is in: early callers hear music on hold.",
    )
    creator_id = fields.Many2one("res.users", default=lambda self: self.env.user, readonly=True, index=True)
    pbx_id = fields.Many2one(
        "telephony.pbx",
        string="PBX",
        compute="_compute_pbx_id",
        store=True,
        readonly=False,
        precompute=True,
        check_company=True,
        ondelete="restrict",
    )
    state = fields.Selection(
        [("idle", "Idle"), ("waiting", "Waiting for administrator"), ("running", "Running")],
        compute="_compute_state",
        store=True,
        copy=False,
        help="Running once someone is in the room; waiting while callers are on hold for the administrator.",
    )
    participant_ids = fields.One2many("telephony.conference.participant", "conference_id", string="Participants")
    session = fields.Integer(
        readonly=True,
        copy=False,
        help="Counts the times the room filled up: a session starts when someone arrives in the empty room.",
    )
    current_participant_ids = fields.One2many(
        "telephony.conference.participant",
        compute="_compute_current_participant_ids",
        string="Current Session",
        help="Who is in the room, or was in it during its last session; earlier sessions are under Participants.",
    )
    participant_count = fields.Integer(compute="_compute_participant_count", string="Joined")
    incoming_number_ids = fields.One2many("telephony.incoming.number", "conference_id", string="Incoming Numbers")
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company, index=True)

    @api.depends("company_id")
    def _compute_pbx_id(self):
        for conference in self:
            if conference.pbx_id.company_id != conference.company_id:
                conference.pbx_id = self.env["telephony.pbx"]._default_pbx(conference.company_id)

    @api.depends("participant_ids.state")
    def _compute_state(self):
        for conference in self:
            states = set(conference.participant_ids.mapped("state"))
            if "joined" in states:
                conference.state = "running"
            elif "waiting" in states:
                conference.state = "waiting"
            else:
                conference.state = "idle"

    @api.depends("session", "participant_ids.session")
    def _compute_current_participant_ids(self):
        for conference in self:
            conference.current_participant_ids = conference.participant_ids.filtered_domain(
                [("session", "=", conference.session)]
            )

    @api.depends("participant_ids.state")
    def _compute_participant_count(self):
        for conference in self:
            conference.participant_count = len(conference.participant_ids.filtered(lambda p: p.state == "joined"))

    @api.depends_context("uid")
    @api.depends("administrator_id")
    def _compute_is_current_user_administrator(self):
        for conference in self:
            conference.is_current_user_administrator = conference.administrator_id == self.env.user

    def _may_see_access_code(self):
        self.ensure_one()
        # The saved administrator decides, not one typed in a form: an onchange computes on a copy of the
        # room that holds the form's values and reads the access code from the room.
        administrator = self._origin.administrator_id if self._origin else self.administrator_id
        return self.env.su or self.env.user.has_group(MANAGER_GROUP) or administrator == self.env.user

    @api.depends_context("uid")
    @api.depends("administrator_id")
    def _compute_administrator_access_code(self):
        for conference in self:
            visible = conference._may_see_access_code()
            conference.administrator_access_code = conference.sudo().access_code if visible else False

    def _inverse_administrator_access_code(self):
        for conference in self:
            if not conference.administrator_access_code and not conference.sudo().access_code:
                # Nothing to change (a new meeting's form sends the empty code); has_access_code already tells
                # everyone that there is no code, so this reveals nothing.
                continue
            if not conference._may_see_access_code():
                raise AccessError(
                    self.env._(
                        "Only the administrator of %(room)s or a telephony manager may change its access code.",
                        room=conference.display_name,
                    )
                )
            conference.sudo().access_code = conference.administrator_access_code

    def _compute_has_access_code(self):
        for conference in self:
            conference.has_access_code = bool(conference.access_code)

    @api.depends("name", "extension")
    def _compute_display_name(self):
        for conference in self:
            conference.display_name = (
                f"{conference.name} ({conference.extension})" if conference.extension else conference.name
            )

    @api.constrains("extension", "kind")
    def _check_extension(self):
        for conference in self:
            if conference.kind == "room" and not conference.extension:
                raise ValidationError(
                    self.env._("The room %(room)s needs an internal extension (3 to 5 digits).", room=conference.name)
                )

    @api.constrains("access_code")
    def _check_access_code(self):
        for conference in self.sudo():
            code = conference.access_code
            if code and not ACCESS_CODE_PATTERN.fullmatch(code):
                raise ValidationError(
                    self.env._(
                        "The access code of %(room)s is invalid: it must be 3 to 10 digits (0-9), as typed on a "
                        "phone keypad before #.",
                        room=conference.name,
                    )
                )

    @api.constrains("wait_for_administrator", "administrator_id")
    def _check_administrator(self):
        for conference in self:
            if conference.wait_for_administrator and not conference.administrator_id:
                raise ValidationError(
                    self.env._(
                        "The room %(room)s waits for its administrator, so it needs one: pick an administrator or "
                        "turn off 'Wait for the Administrator'.",
                        room=conference.name,
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        # Users create only meetings (record rules), which need no extension: one given here would still take
        # it from the company's dial plan, out of reach of the user or room a manager means it for.
        if any(vals.get("extension") for vals in vals_list) and not self._is_telephony_manager():
            raise AccessError(
                self.env._(
                    "Only a telephony manager may give a conference an %(field)s: leave it empty for a meeting.",
                    field=self._fields["extension"]._description_string(self.env),
                )
            )
        return super().create(vals_list)

    def write(self, vals):
        self._check_manager_only_fields(vals)
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_recordings(self):
        # Through the ORM rather than the database's cascade, which would leave their files in the filestore.
        self.env["telephony.recording"].sudo().search([("conference_id", "in", self.ids)]).unlink()

    def _is_telephony_manager(self):
        return self.env.su or self.env.user.has_group(MANAGER_GROUP)

    def _check_manager_only_fields(self, vals):
        if self._is_telephony_manager():
            return
        protected = [name for name in MANAGER_ONLY_FIELDS if name in vals]
        # Archiving a room takes it out of service for everyone, as deleting it would (a meeting is its creator's).
        if "active" in vals and "room" in self.mapped("kind"):
            protected.append("active")
        if protected:
            raise AccessError(
                self.env._(
                    "Only a telephony manager may change %(fields)s of %(rooms)s.",
                    fields=", ".join(self._fields[name]._description_string(self.env) for name in protected),
                    rooms=", ".join(self.mapped("display_name")),
                )
            )

    @api.model
    def _bridge_prefix(self):
        database_uuid = self.env["ir.config_parameter"].sudo().get_param("database.uuid", "")
        return f"telephony-{database_uuid[:8]}-"

    def _bridge_id(self):
        """The PBX bridge of this conference: derived from the record, so a restart finds it again."""
        self.ensure_one()
        return f"{self._bridge_prefix()}{self.id}"

    @api.model
    def _from_bridge_id(self, bridge_id):
        prefix = self._bridge_prefix()
        if not bridge_id or not bridge_id.startswith(prefix) or not bridge_id[len(prefix) :].isdigit():
            return self.browse()
        return self.sudo().browse(int(bridge_id[len(prefix) :])).exists()

    def _router_room(self):
        """This conference as the listener's call router sees it (the access code included)."""
        self.ensure_one()
        conference = self.sudo()
        administrator_numbers = {conference.administrator_id.telephony_extension} - {False}
        if conference.kind == "meeting":
            administrator_numbers |= {conference.creator_id.telephony_extension} - {False}
        return Room(
            key=conference.id,
            bridge_id=conference._bridge_id(),
            access_code=conference.access_code or "",
            wait_for_administrator=conference.wait_for_administrator,
            administrator_numbers=frozenset(administrator_numbers),
            **conference.pbx_id._recording_for_router(
                conference.recording_policy or conference.company_id.telephony_recording_policy
            ),
        )

    def _telephony_payload(self):
        """What a conference window needs to draw this conference."""
        self.ensure_one()
        return {
            "id": self.id,
            "name": self.name,
            "extension": self.extension or "",
            "kind": self.kind,
            "state": self.state,
            "creator_id": self.creator_id.id,
            "administrator_id": self.administrator_id.id,
            "participants": [participant._telephony_payload() for participant in self.current_participant_ids],
            # Everyone in the room hears the announcement; the window says it too, as long as it lasts.
            "recording": bool(
                self.env["telephony.recording"]
                .sudo()
                .search_count([("conference_id", "=", self.id), ("state", "=", "recording")], limit=1)
            ),
        }

    def _notify_participants(self):
        """Push each conference's new state to the browsers of everyone who may watch it."""
        for conference in self:
            payload = conference._telephony_payload()
            users = conference.current_participant_ids.user_id | conference.creator_id | conference.administrator_id
            for user in users:
                user._bus_send("telephony/conference", payload)

    # ------------------------------------------------------------------
    # Actions on the PBX (called by the UI; the listener follows up on events)
    # ------------------------------------------------------------------

    def _may_moderate(self):
        self.ensure_one()
        user = self.env.user
        return self.env.su or user.has_group(MANAGER_GROUP) or user in (self.creator_id | self.administrator_id)

    def _check_may_moderate(self):
        for conference in self:
            if not conference._may_moderate():
                raise AccessError(
                    self.env._(
                        "Only the administrator or the creator of %(room)s, or a telephony manager, may do this.",
                        room=conference.display_name,
                    )
                )

    def _pbx(self):
        self.ensure_one()
        if not self.pbx_id:
            raise UserError(
                self.env._("%(room)s has no PBX: pick one on the conference first.", room=self.display_name)
            )
        return self.pbx_id.sudo()

    def _dial_target(self, number=None, user=None, employee=None, partner=None):
        """Return (number, is_internal, person values) for whoever is to be called into the room."""
        self.ensure_one()
        if employee and not user:
            user = employee.user_id
            if user and self.company_id not in user.sudo().company_ids:
                user = None  # a colleague of another company: their extension is not this PBX's, call their phone
        if user and self.company_id not in user.sudo().company_ids:
            # Extensions are per company: this PBX would ring whoever of its company has the same extension.
            raise UserError(
                self.env._(
                    "%(user)s does not work for %(company)s, whose PBX runs %(room)s: invite them by phone number.",
                    user=user.display_name,
                    company=self.company_id.display_name,
                    room=self.display_name,
                )
            )
        if user and user.telephony_extension:
            values = {"user_id": user.id, "employee_id": (employee or user.employee_id).id}
            return user.telephony_extension, True, values
        if employee:
            number = employee.work_phone or employee.mobile_phone
            person, values = employee, {"employee_id": employee.id, "user_id": employee.user_id.id}
        elif partner:
            number = partner.phone or partner.mobile
            person, values = partner, {"partner_id": partner.id}
        else:
            person, values = None, {}
        if not number:
            raise UserError(
                self.env._("%(person)s has no extension and no phone number to call.", person=person.display_name)
                if person
                else self.env._("Type an extension or a phone number to invite.")
            )
        number = number.strip()
        if EXTENSION_PATTERN.fullmatch(number):
            owner = self.env["res.users"]._telephony_user_with_extension(number, self.company_id)
            values.setdefault("user_id", owner.id)
            return number, True, values
        e164 = to_e164(number, self.company_id.country_id.code)
        if not e164:
            raise UserError(
                self.env._(
                    "%(number)s is neither an internal extension (3 to 5 digits) nor a valid phone number.",
                    number=number,
                )
            )
        return e164, False, values

    def _caller_number(self):
        """The number the people a conference calls see: the room's extension, or the company's conference
        number for a meeting (nothing when it has none: never the number of the person called)."""
        self.ensure_one()
        return self.extension or self.company_id.telephony_conference_caller_number or ""

    def _caller_id(self, participant):
        """What ``participant``'s phone shows: "Conference", in their language (the browser phone shows it as is),
        the company's for a number nobody's, and the room's number."""
        lang = participant.user_id.lang or participant.partner_id.lang or self.company_id.partner_id.lang
        name = self.with_context(lang=lang or self.env.lang).env._("Conference")
        number = self._caller_number()
        return f'"{name}" <{number}>' if number else f'"{name}"'

    def _invite(self, targets, is_administrator=False):
        """Create a participant per target, each with its journal row, and have the PBX call them all at once."""
        self.ensure_one()
        if not self.active:
            raise UserError(
                self.env._(
                    "%(room)s is archived: it takes no calls or invitations. Restore it to use it again.",
                    room=self.display_name,
                )
            )
        pbx = self._pbx()
        participants = self.env["telephony.conference.participant"].sudo()
        calls = self.env["telephony.call"].sudo()
        originates = []
        for target in targets:
            number, internal, values = self._dial_target(**target)
            participant = participants.create(
                {
                    "conference_id": self.id,
                    "number": number,
                    "channel_id": f"telephony-{uuid.uuid4().hex}",
                    "state": "calling",
                    "is_administrator": is_administrator and values.get("user_id") == self.env.user.id,
                    "invited_by_id": self.env.user.id,
                    **values,
                }
            )
            participants |= participant
            calls |= calls.create(participant._call_values(pbx, internal, self._caller_number()))
            originates.append(
                {
                    "endpoint": pbx._endpoint_for(number, internal),
                    "channel_id": participant.channel_id,
                    "app_args": ["invite", str(self.id), str(participant.id)]
                    + (["admin"] if participant.is_administrator else []),
                    "caller_id": self._caller_id(participant),
                    "timeout": RING_SECONDS,
                }
            )
        results = pbx._call_pbx(lambda client: client.originate_many(originates))
        failures = [
            (participant, call, result)
            for participant, call, result in zip(participants, calls, results, strict=True)
            if isinstance(result, PbxError)
        ]
        if failures and len(failures) == len(participants):
            raise UserError(
                self.env._(
                    "The PBX %(pbx)s could not call anyone: %(error)s",
                    pbx=pbx.display_name,
                    error=pbx._describe_error(failures[0][2]),
                )
            )
        now = fields.Datetime.now()
        for participant, call, _error in failures:
            participant._move_to("failed", now)
            call.write({"state": "failed", "end_date": now})
        self._notify_participants()
        return participants.with_env(self.env)

    def action_invite(self, number=None, user_id=None, employee_id=None, partner_id=None):
        """Call someone and link them straight into the conference (no access code)."""
        self.ensure_one()
        self._check_may_moderate()
        target = {
            "number": number,
            "user": self.env["res.users"].browse(user_id) if user_id else None,
            "employee": self._visible_employees([employee_id]) if employee_id else None,
            "partner": self.env["res.partner"].browse(partner_id) if partner_id else None,
        }
        participant = self._invite([target])
        return participant._telephony_payload()

    def _live_participant(self, participant_id):
        self.ensure_one()
        participant = self.participant_ids.filtered(lambda p: p.id == participant_id)
        if not participant or participant.state in ("left", "failed", "rejected"):
            raise UserError(self.env._("This participant is no longer in %(room)s.", room=self.display_name))
        return participant.sudo()

    def action_kick(self, participant_id):
        """Remove a participant: the PBX hangs up their call."""
        self.ensure_one()
        self._check_may_moderate()
        self._live_participant(participant_id)._hang_up()
        return True

    def action_mute(self, participant_id, muted=True):
        """Mute or unmute a participant's microphone: they keep hearing the room."""
        self.ensure_one()
        self._check_may_moderate()
        self._live_participant(participant_id)._set_muted(muted, by_moderator=True)
        return True

    def action_end(self):
        """Hang up everyone still in the conference and close its bridge."""
        self.ensure_one()
        self._check_may_moderate()
        live = self.participant_ids.sudo().filtered(lambda p: p.state in ("calling", "ringing", "waiting", "joined"))
        bridge_id = self._bridge_id()

        def end(client):
            for participant in live:
                client.hangup_if_present(participant.channel_id)
            client.destroy_bridge_if_present(bridge_id)

        self._pbx()._call_pbx(end)
        now = fields.Datetime.now()
        for participant in live:
            participant._move_to("left" if participant.state in ("waiting", "joined") else "failed", now)
        self._notify_participants()
        return True

    @api.model
    def telephony_my_live_conferences(self, shown_ids=()):
        """The conferences the conference window shows me: those my phone is in or ringing for, the
        live meetings I created, and those it already shows (``shown_ids``), to follow them to the end."""
        user = self.env.user
        if not user.has_group(USER_GROUP):
            return {"user_id": user.id, "is_manager": False, "conferences": []}
        live_states = ("calling", "ringing", "waiting", "joined")
        mine = (
            self.env["telephony.conference.participant"]
            .search([("user_id", "=", user.id), ("state", "in", live_states)])
            .conference_id
        )
        mine |= self.search([("creator_id", "=", user.id), ("kind", "=", "meeting"), ("state", "!=", "idle")])
        mine |= self.search([("id", "in", list(shown_ids))])
        return {
            "user_id": user.id,
            "is_manager": user.has_group(MANAGER_GROUP),
            "conferences": [conference._telephony_payload() for conference in mine],
        }

    @api.model
    def _visible_employees(self, employee_ids):
        """Every user may call any colleague they can see, though only HR reads the private employee file."""
        visible = self.env["hr.employee.public"].search([("id", "in", employee_ids)])
        return self.env["hr.employee"].sudo().browse(visible.ids)

    @api.model
    def action_start_meeting(self, employee_ids, name=None):
        """Create an ad-hoc meeting owned by the current user and call them and every employee at once."""
        employees = self._visible_employees(employee_ids)
        if not employees:
            raise UserError(self.env._("Pick at least one employee for the meeting."))
        meeting = self.create(
            {
                "name": name or self.env._("Meeting of %(user)s", user=self.env.user.name),
                "kind": "meeting",
                "administrator_id": self.env.user.id,
            }
        )
        targets = [{"user": self.env.user}] if self.env.user.telephony_extension else []
        targets += [{"employee": employee} for employee in employees if employee.user_id != self.env.user]
        meeting._invite(targets, is_administrator=True)
        return meeting._telephony_payload()
