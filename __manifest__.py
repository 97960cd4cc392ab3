{
    "name": "Telephony",
    "version": "18.0.1.0.0",
    "summary": "A real PBX inside Odoo: conference rooms, meetings, incoming numbers, call journal",
    "description": """
Drive an Asterisk PBX over ARI from Odoo: permanent conference rooms with access codes and
wait-for-administrator, ad-hoc meetings with employees, incoming numbers routed into rooms,
per-user telephony settings and a call journal.
""",
    "category": "Productivity/VoIP",
    "author": "Telephony contributors",
    "website": "https://github.com/telephony-odoo/telephony",
    "license": "LGPL-3",
    "depends": ["mail", "contacts", "hr", "phone_validation", "bus", "web"],
    "external_dependencies": {"python": ["phonenumbers", "requests", "websocket-client"]},
    "data": [
        "security/telephony_security.xml",
        "security/ir.model.access.csv",
        "views/telephony_pbx_views.xml",
        "views/telephony_conference_views.xml",
        "views/telephony_conference_participant_views.xml",
        "views/telephony_incoming_number_views.xml",
        "views/telephony_call_views.xml",
        "views/res_users_views.xml",
        "views/hr_employee_views.xml",
        "views/telephony_menus.xml",
    ],
    "demo": [
        "demo/telephony_demo.xml",
    ],
    "application": True,
    "installable": True,
}
