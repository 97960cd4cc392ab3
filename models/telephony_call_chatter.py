"""Every call in its contact's chatter: one system note per call, logged when the call ends."""

from markupsafe import Markup

from odoo import api, fields, models

from ..tools.phone import display_number


class TelephonyCall(models.Model):
    _inherit = "telephony.call"

    contact_note_logged = fields.Boolean(
        string="Logged on the Contact",
        readonly=True,
        copy=False,
        help="The call's note is in its contact's chatter; a call is logged there once, when it ends.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        calls = super().create(vals_list)
        # Calls journaled after the fact (an outage record, demo data) end as they are created; their
        # contact is linked by then.
        calls.filtered("end_date")._log_in_contact_chatter()
        return calls

    def write(self, vals):
        result = super().write(vals)
        if vals.get("end_date"):
            self._log_in_contact_chatter()
        return result

    def _log_in_contact_chatter(self):
        """Log each ended call on its contact as a system note: no follower is notified, nobody gets an
        e-mail. A call is logged once however often its end is applied (a replayed hangup, a
        reconciliation after a restart); a call without a contact, or of a company that turned the log
        off, logs nothing."""
        calls = self.sudo().filtered(
            lambda call: (
                call.end_date
                and call.partner_id
                and not call.contact_note_logged
                and call.company_id.telephony_log_calls_on_contact
            )
        )
        if not calls:
            return
        author = self.env.ref("base.partner_root")
        # Sorted, so that the notes of calls journaled together sit in the chatter in the calls' order.
        for call in calls.sorted(lambda call: (call.end_date, call.id)):
            message = call.partner_id._message_log(body=call._contact_note_body(), author_id=author.id)
            # The note is dated when the call ended, also for a call journaled late (after an outage).
            message.date = call.end_date
        calls.contact_note_logged = True

    def _contact_note_body(self):
        """The note of an ended call, in the language of the user whose call it is (the company's when
        nobody's): direction and how it ended, talk or ring time (h:mm:ss), who took it, the number."""
        self.ensure_one()
        user = self.answered_user_id or self.user_id
        call = self.with_context(lang=user.lang or self.company_id.partner_id.lang or self.env.lang)
        env = call.env
        titles = {
            "inbound": env._("Inbound call"),
            "outbound": env._("Outbound call"),
            "internal": env._("Internal call"),
        }
        states = dict(call._fields["state"]._description_selection(env))
        lines = []
        if self.state == "answered":
            lines.append(env._("Talk time: %(duration)s", duration=_format_duration(self.talk_seconds)))
        else:
            lines.append(env._("Ring time: %(duration)s", duration=_format_duration(self.ring_seconds)))
        if self.direction == "inbound" and self.state == "answered" and user:
            lines.append(env._("Answered by: %(user)s", user=user.name))
        elif self.direction == "inbound" and user:
            lines.append(env._("Rang: %(user)s", user=user.name))
        elif self.user_id:
            lines.append(env._("Placed by: %(user)s", user=self.user_id.name))
        number = display_number(self._telephony_other_number(), self.company_id.country_id.code)
        if number:
            lines.append(env._("Number: %(number)s", number=number))
        if self.conference_id:
            lines.append(env._("Room: %(room)s", room=self.conference_id.name))
        title = env._("%(call)s: %(state)s", call=titles[self.direction], state=states[self.state])
        items = Markup().join(Markup("<li>%s</li>") % line for line in lines)
        return Markup("<p><strong>%s</strong></p><ul>%s</ul>") % (title, items)


def _format_duration(seconds):
    """``3725`` -> ``1:02:05``, as the journal shows ring and talk times."""
    minutes, seconds = divmod(max(0, seconds or 0), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}"
