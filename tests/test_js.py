from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestJsUnit(HttpCase):
    """The OWL components' unit tests (static/tests/*.test.js), in Odoo 18's Hoot runner."""

    def test_telephony_js_units(self):
        self.browser_js(
            "/web/tests?headless&loglevel=2&preset=desktop&timeout=15000&filter=%40telephony%2F",
            "",
            "",
            login="admin",
            timeout=600,
            success_signal="[HOOT] test suite succeeded",
        )
