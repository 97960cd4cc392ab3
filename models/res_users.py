from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..tools.groups import MANAGER_GROUP
from .telephony_recording import POLICY_HELP, RECORDING_POLICIES

TELEPHONY_SELF_WRITEABLE_FIELDS = [
    "telephony_enabled",
    "telephony_incoming_action",
    "telephony_outgoing_action",
    "telephony_unknown_action",
    "telephony_report_form",
    "telephony_phone",
]
# A user reads, and does not choose, whether their calls are recorded: their telephony managers do.
TELEPHONY_SETTINGS_FIELDS = [*TELEPHONY_SELF_WRITEABLE_FIELDS, "telephony_extension", "telephony_recording_policy"]
# Set by a telephony manager, never by the user: who may not be listened to, whispered to or barged in on.
TELEPHONY_MANAGER_ONLY_FIELDS = ["telephony_supervision_excluded"]


class ResUsers(models.Model):
    _name = "res.users"
    _inherit = ["res.users", "telephony.extension.mixin"]
    _telephony_extension_field = "telephony_extension"
    _telephony_extension_company_field = "company_ids"

    telephony_enabled = fields.Boolean(
        string="Make and Receive Calls from Odoo",
        help="Turns on calling from Odoo, the action on answer, the call journal and the statistics.",
    )
    telephony_extension = fields.Char(
        string="Internal Extension",
        copy=False,
        index="btree_not_null",
        help="The user's own extension on the PBX (3 to 5 digits): Odoo rings it to place the user's calls.",
    )
    telephony_recording_policy = fields.Selection(
        RECORDING_POLICIES,
        string="Record Calls",
        help=f"Empty: the company's setting. {POLICY_HELP}",
    )
    telephony_incoming_action = fields.Selection(
        "_selection_telephony_call_actions",
        string="On Incoming Call",
        default="partner",
        required=True,
        help="What Odoo opens when a call rings you.",
    )
    telephony_outgoing_action = fields.Selection(
        "_selection_telephony_call_actions",
        string="On Outgoing Call",
        default="nothing",
        required=True,
        help="What Odoo opens when you place a call.",
    )
    telephony_unknown_action = fields.Selection(
        [("create_contact", "Create a contact"), ("timeline", "Open the client timeline")],
        string="Unknown Number",
        default="create_contact",
        required=True,
        help="How a new client is registered when a call comes from or goes to a number no contact has.",
    )
    telephony_supervision_excluded = fields.Boolean(
        string="Excluded from Supervision",
        groups=MANAGER_GROUP,
        help="Telephony managers may not listen to, whisper to or barge into this user's calls.",
    )
    telephony_report_form = fields.Selection(
        [("simplified", "Simplified"), ("panel", "Report panel")],
        string="Report Form",
        default="simplified",
        required=True,
        help="Simplified: clear charts grouped in blocks. Report panel: Odoo's standard reporting views.",
    )

    @api.model
    def _telephony_user_with_extension(self, extension, company):
        """The user of ``company`` whose extension is ``extension``: the one place that answers who an
        extension rings, so that a PBX never reaches a user of another company."""
        if not extension or not str(extension).isdigit():
            return self.browse()
        return self.sudo().search(
            [("telephony_extension", "=", extension), ("company_ids", "in", company.ids)], limit=1
        )

    @api.model
    def _selection_telephony_call_actions(self):
        """What Odoo may do on a call; the list grows with the installed apps (seed 003)."""
        actions = [
            ("partner", self.env._("Open the contact")),
            ("timeline", self.env._("Open the client timeline")),
        ]
        if "crm.lead" in self.env:
            actions.append(("lead", self.env._("Create a lead")))
        actions.append(("nothing", self.env._("Do nothing")))
        return actions

    @api.constrains("telephony_incoming_action", "telephony_outgoing_action")
    def _check_telephony_call_actions(self):
        # A selection computed by a method is not checked by the ORM: "lead" without CRM would pass.
        offered = dict(self._selection_telephony_call_actions())
        for user in self:
            for action in (user.telephony_incoming_action, user.telephony_outgoing_action):
                if action not in offered:
                    raise ValidationError(
                        self.env._(
                            "%(action)s is not an action Odoo can take on a call here; choose one of: %(offered)s.",
                            action=action,
                            offered=", ".join(offered.values()),
                        )
                    )

    @property
    def SELF_READABLE_FIELDS(self):
        return super().SELF_READABLE_FIELDS + TELEPHONY_SETTINGS_FIELDS

    @property
    def SELF_WRITEABLE_FIELDS(self):
        return super().SELF_WRITEABLE_FIELDS + TELEPHONY_SELF_WRITEABLE_FIELDS

    def write(self, vals):
        if "telephony_enabled" in vals:
            # The menus a user sees are cached per user; the statistics menu follows this setting.
            self.env.registry.clear_cache()
        # Telephony managers look after the telephony settings of their companies' users without being user
        # administrators; other companies' users are left to the ordinary access rights.
        if (
            vals
            and set(vals) <= set(TELEPHONY_SETTINGS_FIELDS + TELEPHONY_MANAGER_ONLY_FIELDS)
            and not self.env.su
            and self.env.user.has_group(MANAGER_GROUP)
            and all(user.sudo().company_ids & self.env.companies for user in self)
        ):
            return super(ResUsers, self.sudo()).write(vals)
        return super().write(vals)
