"""The addon in Russian, French and Italian: complete catalogues, the template Odoo exports, and users who read
the whole addon in their language (errors from the PBX included)."""

import io
import json
import re
from collections import defaultdict
from datetime import timedelta
from functools import cache
from pathlib import Path

from babel.messages import pofile

from odoo import fields
from odoo.exceptions import ValidationError
from odoo.tests import HttpCase, TransactionCase, new_test_user, tagged
from odoo.tools.misc import file_path
from odoo.tools.translate import PoFileReader

from ..pbx.simulator import Simulator
from ..tools.translations import export_template
from .common import SimulatedPbxListenerMixin, TelephonyCase

LANGUAGES = {"ru": "ru_RU", "fr": "fr_FR", "it": "it_IT"}
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\w*\}")
TAG = re.compile(r"</?[a-zA-Z][\w-]*")


@cache  # parsed once per file: each translation looked up would otherwise read and parse the whole file
def _catalog(name):
    with open(Path(file_path("telephony/i18n")) / name, "rb") as po:
        return {message.id: message for message in pofile.read_po(po) if message.id}


def _translation(lang, msgid):
    return _catalog(f"{lang}.po")[msgid].string


def english_patterns(lang):
    """[JavaScript pattern, English term] for each term whose translation differs from the English: a term of
    several words is found inside a text, a single word only as the whole text (an optional colon after it)."""
    patterns = []
    for msgid, message in _catalog(f"{lang}.po").items():
        if not message.string or message.string == msgid or "<" in msgid or "\n" in msgid:
            continue
        pattern = ".+?".join(re.escape(part) for part in PLACEHOLDER.split(msgid))
        if " " in PLACEHOLDER.sub("", msgid).strip():
            patterns.append([rf"(?:^|\W){pattern}(?:$|\W)", msgid])
        else:
            patterns.append([rf"^{pattern}:?$", msgid])
    return patterns


@tagged("post_install", "-at_install")
class TestTranslationCatalogues(TransactionCase):
    def _terms_of_other_modules(self, template):
        """Labels that fields of optional modules add to this addon's models (calendar, installed with CRM, gives
        every activity model "Next Activity Calendar Event"): not the addon's terms."""
        # What installing the addon alone brings (scripts/i18n exports from there): its dependencies, and the
        # modules Odoo installs by itself once theirs are there (sms, with mail and phone_validation).
        modules = self.env["ir.module.module"]
        addon = modules.search([("name", "=", "telephony")])
        mine = {"telephony", *addon.upstream_dependencies(exclude_states=("",)).mapped("name")}
        mine |= set(modules.search([("state", "=", "installed"), ("auto_install", "=", True)]).mapped("name"))
        definers = defaultdict(set)  # term -> the modules that define where it comes from (None: not a field)
        for row in PoFileReader(template.decode()):  # polib reads the content itself
            field = None
            if row.get("name") == "ir.model.fields,field_description":
                field = self.env.ref(f"{row['module']}.{row['imd_name']}", raise_if_not_found=False)
            model_field = field and self.env[field.model]._fields.get(field.name)
            definers[row["src"]].add(getattr(model_field, "_module", None))
        return {term for term, modules in definers.items() if None not in modules and not modules & mine}

    def test_the_template_holds_what_odoo_exports(self):
        template = export_template(self.env.cr)
        catalogue = {m.id for m in pofile.read_po(io.BytesIO(template)) if m.id}
        exported = catalogue - self._terms_of_other_modules(template)
        shipped = set(_catalog("telephony.pot"))
        self.assertFalse(
            sorted(exported - shipped), "terms Odoo exports that i18n/telephony.pot lacks: run scripts/i18n"
        )
        self.assertFalse(sorted(shipped - exported), "terms of i18n/telephony.pot Odoo no longer has: run scripts/i18n")

    def test_every_language_translates_every_term(self):
        template = set(_catalog("telephony.pot"))
        for lang in LANGUAGES:
            with self.subTest(lang=lang):
                catalogue = _catalog(f"{lang}.po")
                self.assertEqual(set(catalogue), template, f"i18n/{lang}.po has the template's terms")
                untranslated = sorted(msgid for msgid, message in catalogue.items() if not message.string)
                fuzzy = sorted(msgid for msgid, message in catalogue.items() if message.fuzzy)
                self.assertEqual(untranslated, [], f"terms left untranslated in i18n/{lang}.po")
                self.assertEqual(fuzzy, [], f"fuzzy (unchecked) terms in i18n/{lang}.po")

    def test_translations_keep_placeholders_and_markup(self):
        for lang in LANGUAGES:
            for msgid, message in _catalog(f"{lang}.po").items():
                with self.subTest(lang=lang, msgid=msgid):
                    self.assertEqual(sorted(PLACEHOLDER.findall(message.string)), sorted(PLACEHOLDER.findall(msgid)))
                    if any("model_terms:" in location for location, _line in message.locations):
                        self.assertEqual(TAG.findall(message.string), TAG.findall(msgid), "the view's markup")


@tagged("post_install", "-at_install")
class TestRussianUser(TelephonyCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("ru_RU")
        cls.env["ir.module.module"]._load_module_terms(["telephony"], ["ru_RU"], overwrite=True)
        (cls.user_anna | cls.manager).lang = "ru_RU"

    def _as_manager(self, model):
        """``model`` as a request of the Russian manager sees it: their rights, and their language in the context."""
        return self.env[model].with_user(self.manager).with_context(lang=self.manager.lang)

    def test_labels_menus_and_choices_are_russian(self):
        english = self.env["telephony.conference"].fields_get(["access_code", "kind"])
        russian = self._as_manager("telephony.conference").fields_get(["access_code", "kind"])
        self.assertEqual(russian["access_code"]["string"], _translation("ru", english["access_code"]["string"]))
        self.assertEqual(
            [label for _key, label in russian["kind"]["selection"]],
            [_translation("ru", label) for _key, label in english["kind"]["selection"]],
        )
        menu = self._as_manager("ir.ui.menu").browse(self.env.ref("telephony.telephony_menu_calls").id)
        self.assertEqual(menu.name, _translation("ru", "Calls"))

    def test_a_refusal_names_the_problem_in_russian(self):
        template = "The extension %(extension)s is already taken in %(company)s by %(kind)s %(owner)s."
        with self.assertRaises(ValidationError) as caught:
            self._as_manager("telephony.conference").create(
                {"name": "Комната", "extension": "201", "pbx_id": self.pbx.id, "company_id": self.company.id}
            )
        before_extension = _translation("ru", template).split("%(extension)s")[0]
        self.assertTrue(before_extension.strip(), "the Russian sentence has words before the extension")
        self.assertIn(before_extension, str(caught.exception))
        self.assertIn(self.user_anna.name, str(caught.exception))

    def test_what_the_listener_tells_a_russian_user_is_russian(self):
        """The listener writes in no user's language: its notices and call updates take the receiver's."""
        call = self._new_call("ru-notice", self.user_anna, state="answered").with_context(lang="en_US")
        self.env["bus.bus"].sudo().search([]).unlink()
        call._tell_transfer_refused(self.user_anna)
        call._notify_user()
        self.env.cr.precommit.run()
        messages = [json.loads(bus.message) for bus in self.env["bus.bus"].sudo().search([])]
        notice = next(message["payload"] for message in messages if message["type"] == "simple_notification")
        self.assertEqual(notice["title"], _translation("ru", "Transfer failed"))
        update = next(message["payload"] for message in messages if message["type"] == "telephony/call")
        self.assertEqual(update["state_label"], _translation("ru", "Answered"))

    def test_a_call_back_activity_is_written_in_its_assignees_language(self):
        """The cron writes in no user's language: the activity is read by the user it is for."""
        self.company.telephony_followup_hours = 1
        start = fields.Datetime.now() - timedelta(hours=2)
        call = self._new_call(
            "ru-callback",
            self.user_anna,
            caller_number="+33655500009",
            state="missed",
            start_date=start,
            end_date=start,
        )
        self.env["telephony.call"].with_context(lang="en_US")._cron_schedule_callbacks()
        activity = self.env["mail.activity"].search([("res_model", "=", call._name), ("res_id", "=", call.id)])
        self.assertEqual(activity.user_id, self.user_anna)
        self.assertEqual(activity.summary, _translation("ru", "Call back %(number)s") % {"number": "+33 6 55 50 00 09"})
        missed_call_from = _translation("ru", "Missed call from %(number)s on %(date)s (%(time_zone)s).")
        self.assertIn(missed_call_from.split("%(number)s")[0], str(activity.note))

    def test_a_room_calls_each_person_by_a_name_in_their_language(self):
        """The browser phone's incoming call shows the caller name the PBX sends: "Conference" in the invitee's
        language (a number nobody's: the company's), whoever invites them."""
        simulator = Simulator(port=0).start()
        self.addCleanup(simulator.stop)
        self.pbx.write({"ari_url": simulator.url, "ari_password": "telephony", "timeout": 2})
        self.user_boris.lang = "en_US"
        self.room.with_user(self.manager).with_context(lang="en_US").action_invite(user_id=self.user_anna.id)
        self.room.with_user(self.manager).with_context(lang="ru_RU").action_invite(user_id=self.user_boris.id)
        names = {p.user_id: simulator.channels[p.channel_id].caller["name"] for p in self.room.participant_ids}
        self.assertEqual(names, {self.user_anna: _translation("ru", "Conference"), self.user_boris: "Conference"})

    def test_an_unreachable_pbx_is_explained_in_russian(self):
        """The PBX's own error comes from pbx/ (no Odoo there): its English template is translated where shown."""
        template = "The PBX at %(url)s cannot be reached: %(reason)s."
        result = self._as_manager("telephony.pbx").browse(self.pbx.id).action_test_connection()
        message = result["params"]["message"]
        self.assertTrue(message.startswith(_translation("ru", template).split("%(url)s")[0]), message)
        self.assertIn("http://127.0.0.1:9", message)
        self.assertEqual(self.pbx.last_error, message, "the PBX form keeps the manager's reading of it")


@tagged("post_install", "-at_install")
class TestLanguagesInTheBrowser(SimulatedPbxListenerMixin, HttpCase):
    """A Russian and a French telephony manager walk the Telephony menus, a conference, the dashboard, the VoIP
    widget and a meeting's window: no term of the addon is left in English (telephony_language_tour)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._create_simulated_pbx()
        langs = [LANGUAGES["ru"], LANGUAGES["fr"]]
        for lang in langs:
            cls.env["res.lang"]._activate_lang(lang)
        # Odoo's own screens too: a user reads the whole web client in their language, not only this addon.
        installed = cls.env["ir.module.module"].search([("state", "=", "installed")]).mapped("name")
        cls.env["ir.module.module"]._load_module_terms(installed, langs, overwrite=True)
        # A user's name is data, not the addon's words: the database without demo data names its admin
        # "Administrator", which is also a term of the addon (a room's administrator).
        cls.env.ref("base.user_admin").name = "Mitchell Admin"
        taken = ["7200", "7201", "7202", "7801"]
        cls.env["res.users"].search([("telephony_extension", "in", taken)]).telephony_extension = False
        cls.env["telephony.conference"].with_context(active_test=False).search([("extension", "in", taken)]).unlink()
        groups = "telephony.group_telephony_manager,hr.group_hr_user,base.group_partner_manager"
        cls.user = new_test_user(cls.env, login="polyglot", groups=groups, name="Мария Иванова")
        cls.user.write({"telephony_enabled": True, "telephony_extension": "7200"})
        for extension, name in (("7201", "Борис Петров"), ("7202", "Анна Смирнова")):
            colleague = new_test_user(cls.env, login=f"colleague{extension}", groups="base.group_user", name=name)
            colleague.telephony_extension = extension
            # Sorted first in the Employees list, where the tour picks the first two.
            cls.env["hr.employee"].create({"name": f"0 {name}", "user_id": colleague.id})
        cls.env["telephony.conference"].create(
            {"name": "Планёрка", "extension": "7801", "access_code": "2468", "pbx_id": cls.pbx.id}
        )
        cls.env["telephony.call"].create(
            {
                "pbx_id": cls.pbx.id,
                "pbx_unique_id": "language-tour-call",
                "direction": "inbound",
                "state": "answered",
                "user_id": cls.user.id,
                "caller_number": "+33 6 12 34 56 78",
                "called_number": "7200",
            }
        )

    def _walk_in(self, lang):
        self.user.lang = lang
        # Read before the listener starts: its thread then shares this test's cursor.
        setup = {
            "terms": english_patterns(lang.split("_")[0]),
            "meetingActionId": self.env.ref("telephony.telephony_meeting_wizard_action").id,
        }
        self._start_simulator_and_listener()
        # The first page in a new language builds its routing map and translations for seconds: done here, the
        # browser's idle spare connection does not time out meanwhile (werkzeug logs that as an error).
        self.authenticate("polyglot", "polyglot")
        self.url_open("/odoo", timeout=60).raise_for_status()
        options = {"stepDelay": 0, "keepWatchBrowser": False, "debug": False, "startUrl": "/odoo"}
        start = f"odoo.startTour('telephony_language_tour', {json.dumps(options)})"
        code = f"window.telephonyTour = {json.dumps(setup)}; {start}"
        self.start_tour("/odoo", "telephony_language_tour", login="polyglot", timeout=240, code=code)

    def test_a_russian_user_reads_the_addon_in_russian(self):
        self._walk_in("ru_RU")

    def test_a_french_user_reads_the_addon_in_french(self):
        self._walk_in("fr_FR")
