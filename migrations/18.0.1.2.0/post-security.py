from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    """The record rules are noupdate: an upgrade creates the new ones but keeps the old ones as installed,
    so rewrite here the rules 18.0.1.2.0 changed."""
    env = api.Environment(cr, SUPERUSER_ID, {})
    # A room's administrator no longer deletes it: only managers delete rooms (users their own meetings,
    # through the new rule telephony_conference_rule_user_unlink).
    env.ref("telephony.telephony_conference_rule_user_write").write(
        {
            "name": "Conference: users change what they administer or created",
            "domain_force": "['|', ('administrator_id', '=', user.id), ('creator_id', '=', user.id)]",
            "perm_read": False,
            "perm_write": True,
            "perm_create": False,
            "perm_unlink": False,
        }
    )
