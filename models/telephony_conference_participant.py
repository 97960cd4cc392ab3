from odoo import api, fields, models


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
            ("joined", "Joined"),
            ("left", "Left"),
            ("failed", "Failed"),
            ("rejected", "Rejected"),
        ],
        default="calling",
        required=True,
    )
    muted = fields.Boolean()
    talking = fields.Boolean()
    is_administrator = fields.Boolean()
    join_date = fields.Datetime(string="Joined On")
    leave_date = fields.Datetime(string="Left On")

    @api.depends("user_id", "employee_id", "partner_id", "number")
    def _compute_display_name(self):
        for participant in self:
            person = participant.user_id or participant.employee_id or participant.partner_id
            participant.display_name = person.display_name or participant.number or ""
