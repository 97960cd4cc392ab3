from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    """The record rules are noupdate: an upgrade creates the new ones but keeps the old ones as installed,
    so take away here what 18.0.1.2.0 took away from the old rules, and only that: a domain or name an
    administrator set stays theirs, and a rule they deleted stays deleted."""
    env = api.Environment(cr, SUPERUSER_ID, {})
    # A room's administrator no longer deletes it: only managers delete rooms (users their own meetings,
    # through the new rule telephony_conference_rule_user_unlink).
    rule = env.ref("telephony.telephony_conference_rule_user_write", raise_if_not_found=False)
    if rule:
        rule.perm_unlink = False
