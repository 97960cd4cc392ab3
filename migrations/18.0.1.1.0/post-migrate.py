from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    """Databases that had the addon before caller matching: fill the partners' E.164 numbers."""
    env = api.Environment(cr, SUPERUSER_ID, {})
    env["res.partner"]._telephony_recompute_numbers()
    calls = env["telephony.call"]
    calls.search([("partner_id", "=", False), ("contact_number_e164", "!=", False)])._match_partner()
    calls._recompute_callback_pending_all()
