from odoo import SUPERUSER_ID, api

OWN_CALLS_DOMAIN = "['|', ('user_id', '=', user.id), ('answered_user_id', '=', user.id)]"


def migrate(cr, version):
    """Record rules are not updated by an upgrade (noupdate): a user also sees the calls they answered."""
    env = api.Environment(cr, SUPERUSER_ID, {})
    rule = env.ref("telephony.telephony_call_rule_user", raise_if_not_found=False)
    if rule:
        rule.domain_force = OWN_CALLS_DOMAIN
