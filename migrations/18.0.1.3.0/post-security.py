from odoo import SUPERUSER_ID, api

OLD_OWN_CALLS_DOMAIN = "['|', ('user_id', '=', user.id), ('answered_user_id', '=', user.id)]"
OWN_CALLS_DOMAIN = (
    "['|', '|', '|', ('user_id', '=', user.id), ('answered_user_id', '=', user.id), "
    "('transfer_user_id', '=', user.id), ('transferred_by_id', '=', user.id)]"
)


def migrate(cr, version):
    """Record rules are not updated by an upgrade (noupdate): a user also sees the calls transferred to them and
    those they transferred. A domain an administrator changed stays theirs."""
    env = api.Environment(cr, SUPERUSER_ID, {})
    rule = env.ref("telephony.telephony_call_rule_user", raise_if_not_found=False)
    if rule and rule.domain_force == OLD_OWN_CALLS_DOMAIN:
        rule.domain_force = OWN_CALLS_DOMAIN
