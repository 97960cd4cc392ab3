{
    "name": "Telephony",
    "version": "18.0.1.1.0",
    "summary": "A real PBX inside Odoo: conference rooms, meetings, incoming numbers, call journal",
    "category": "Productivity/VoIP",
    "author": "Telephony contributors",
    "license": "LGPL-3",
    "depends": ["mail", "contacts", "hr", "phone_validation", "bus", "web"],
    "external_dependencies": {"python": ["phonenumbers", "requests", "websocket-client"]},
    "data": [
        "security/telephony_security.xml",
        "security/ir.model.access.csv",
        "wizard/telephony_conference_invite_views.xml",
        "wizard/telephony_meeting_wizard_views.xml",
        "wizard/telephony_link_number_views.xml",
        "views/telephony_pbx_views.xml",
        "views/telephony_conference_views.xml",
        "views/telephony_conference_participant_views.xml",
        "views/telephony_incoming_number_views.xml",
        "views/telephony_call_views.xml",
        "views/res_users_views.xml",
        "views/hr_employee_views.xml",
        "views/res_partner_views.xml",
        "views/telephony_menus.xml",
    ],
    "assets": {
        "web.assets_backend": [
            "telephony/static/src/**/*",
        ],
        "web.assets_tests": [
            "telephony/static/tests/tours/**/*",
        ],
        "web.assets_unit_tests": [
            "telephony/static/tests/**/*.test.js",
        ],
    },
    "demo": [
        "demo/telephony_demo.xml",
    ],
    "post_init_hook": "_telephony_post_init",
    "application": True,
    "installable": True,
}
