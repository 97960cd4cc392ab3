from odoo import fields, models
from odoo.exceptions import AccessError, UserError

from ..tools.groups import USER_GROUP

# Where a record keeps the numbers a phone call activity on it reaches, best first (a contact or a lead,
# an employee).
NUMBER_FIELDS = ("phone", "mobile", "work_phone", "mobile_phone")


class MailActivity(models.Model):
    _inherit = "mail.activity"

    telephony_call_id = fields.Many2one(
        "telephony.call",
        string="Missed Call",
        readonly=True,
        index="btree_not_null",
        ondelete="set null",
        groups=USER_GROUP,
        help="The missed call this call-back activity was scheduled for: its Call button dials the number that called.",
    )

    def telephony_number_to_call(self):
        """The number the Call button of this phone call activity dials: the number of the missed call
        it was scheduled for, else the number of the record it sits on (a contact's phone, else their
        mobile; the other party of a journal call). Only for a telephony user who may read that record."""
        self.ensure_one()
        if not self.env.user.has_group(USER_GROUP):
            raise AccessError(self.env._("Only telephony users place calls from Odoo."))
        self.check_access("read")
        record = self.env[self.res_model].browse(self.res_id).exists()
        if not record:
            raise UserError(self.env._("The record of this activity no longer exists."))
        record.check_access("read")
        # The missed call may be one the user may not open (it rang a colleague): its number is the one the
        # activity's summary shows, on a record the user reads.
        number = self.sudo().telephony_call_id.contact_number_e164 or _number_of(record)
        if not number:
            raise UserError(
                self.env._("%(record)s has no phone number to call.", record=record.display_name or self.res_name)
            )
        return number


def _number_of(record):
    """The number to call on ``record``: a journal call's other party, a contact's phone or mobile (as
    stored in E.164, read in the contact's country), a lead's or employee's, else its contact's."""
    if record._name == "telephony.call":
        return record.contact_number_e164 or record._telephony_other_number()
    if record._name == "res.partner":
        return record.phone_e164 or record.phone or record.mobile_e164 or record.mobile or ""
    for name in NUMBER_FIELDS:
        if name in record._fields and record[name]:
            return record[name]
    if "partner_id" in record._fields and record.partner_id._name == "res.partner" and record.partner_id:
        return _number_of(record.partner_id)
    return ""
