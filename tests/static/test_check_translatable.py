"""The static check for untranslated strings finds what Odoo's export would miss, and only that."""

import pytest
from check_translatable import check_translatable
from static_checks import files


@pytest.fixture
def addon(tmp_path):
    def write(relative, text):
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")

    write.root = tmp_path
    return write


def failures_of(root):
    failures = []
    check_translatable(root, failures, files)
    return failures


def test_marked_strings_and_model_terms_pass(addon):
    addon(
        "models/room.py",
        '"""Rooms: Docstrings are not shown."""\n'
        "from odoo import _, fields, models\n"
        "STATES = [('open', 'Open for calls'), ('closed', 'Closed for now')]\n"
        "class Room(models.Model):\n"
        "    _description = 'Conference Room'\n"
        "    _sql_constraints = [('x', 'unique(x)', 'An extension is used once per company.')]\n"
        "    name = fields.Char('Room Name', help='The name callers hear when they call in.')\n"
        "    def act(self):\n"
        "        _logger.info('Room %s was opened by hand', self.id)\n"
        "        raise UserError(self.env._('The room %(room)s is full.', room=self.name))\n",
    )
    addon("static/src/room.js", 'const title = _t("Leave the conference");\nconsole.log("Left the room now");\n')
    addon(
        "static/src/room.xml",
        '<templates><t t-name="x"><button title="Leave the room">Leave it now</button></t></templates>',
    )
    assert failures_of(addon.root) == []


def test_unmarked_python_message_fails(addon):
    addon("models/room.py", "def act(self):\n    raise UserError('The room is full.')\n")
    (failure,) = failures_of(addon.root)
    assert failure.startswith("models/room.py:2: 'The room is full.'")


def test_fstring_inside_translation_call_fails_the_whole_file(addon):
    addon("models/room.py", "def act(self):\n    return _('Wait %(s)s seconds', s=f'{self.timeout:g}')\n")
    (failure,) = failures_of(addon.root)
    assert "Odoo's export cannot read this file" in failure


def test_pbx_errors_must_be_marked_but_router_reasons_need_not(addon):
    addon(
        "pbx/ari.py",
        "def call():\n"
        "    refuse(fields, 'nothing to complete here')\n"
        "    raise PbxTimeout('The PBX did not answer in time.')\n",
    )
    (failure,) = failures_of(addon.root)
    assert failure.startswith("pbx/ari.py:3: 'The PBX did not answer in time.'")


def test_unmarked_javascript_string_fails(addon):
    addon("static/src/room.js", 'this.notification.add("The call failed.", { type: "danger" });\n')
    (failure,) = failures_of(addon.root)
    assert failure.startswith("static/src/room.js:1: 'The call failed.'")


def test_prose_inside_template_expression_or_untranslated_attribute_fails(addon):
    addon(
        "static/src/room.xml",
        "<templates><t t-name='x'>"
        "<span t-esc=\"state === 'ring' ? 'Ringing now' : ''\"/>"
        "<Dialog title=\"'Invite someone'\"/>"
        '<Dialog title.translate="Invite someone"/>'
        '<span aria-label="Shows who talks"/>'
        "</t></templates>",
    )
    failures = failures_of(addon.root)
    assert len(failures) == 3
    assert "'Ringing now'" in failures[0] and "'Invite someone'" in failures[1]
    assert "aria-label" in failures[2]


def test_a_single_word_label_fails_but_a_machine_value_compared_passes(addon):
    """A one-word label ("Conference", the name a room's invitee saw) is prose too; a value compared with what
    the PBX or the keyboard sends ("Up", "Escape") is not."""
    addon(
        "models/room.py",
        "CALLER_NAME = 'Conference'\ndef up(channel):\n    return channel['state'] == 'Up' or 'Down' != channel\n",
    )
    addon(
        "static/src/room.js",
        'const state = "Ringing";\nif (ev.key === "Escape" || "Enter" == ev.key) {}\nconst ok = _t("Ended");\n',
    )
    assert failures_of(addon.root) == [
        "models/room.py:1: 'Conference' is shown untranslated: wrap it in _().",
        "static/src/room.js:1: 'Ringing' is shown untranslated: wrap it in _t().",
    ]
