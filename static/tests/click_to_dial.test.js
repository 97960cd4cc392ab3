import { defineMailModels } from "@mail/../tests/mail_test_helpers";
import { describe, expect, test } from "@odoo/hoot";
import { click } from "@odoo/hoot-dom";
import { animationFrame } from "@odoo/hoot-mock";
import { reactive } from "@odoo/owl";
import { defineModels, fields, mockService, models, mountView } from "@web/../tests/web_test_helpers";

describe.current.tags("desktop");

class Contact extends models.Model {
    _name = "telephony.test.contact";
    name = fields.Char();
    phone = fields.Char();
    _records = [{ id: 1, name: "Azure", phone: "+33 6 12 34 56 78" }];
}

defineMailModels();
defineModels([Contact]);

function mockTelephony(values = {}) {
    const calls = [];
    const state = reactive({ loaded: true, allowed: true, enabled: true, conferences: [], ...values });
    mockService("telephony", () => ({
        state,
        dial: async (number) => calls.push(["dial", number]) && true,
        openPanel: () => calls.push(["openPanel"]),
    }));
    return { calls, state };
}

function mountContact(mode) {
    return mountView({
        type: "form",
        resModel: "telephony.test.contact",
        resId: 1,
        mode,
        arch: `<form><field name="name"/><field name="phone" widget="phone"/></form>`,
    });
}

test("a phone field's Call dials through the widget and opens it, instead of a tel: link", async () => {
    const { calls } = mockTelephony();
    await mountContact("edit");
    expect(".o_field_phone a[href^='tel:']").toHaveCount(0);
    expect(".o_field_phone .o-telephony-ClickToDial").toHaveText("Call");
    await click(".o_field_phone input");
    await click(".o_field_phone .o-telephony-ClickToDial");
    await animationFrame();
    expect(calls).toEqual([["dial", "+33 6 12 34 56 78"], ["openPanel"]]);
});

test("a read-only phone keeps its tel: link and gets a call button beside it", async () => {
    const { calls } = mockTelephony();
    await mountContact("readonly");
    expect(".o_field_phone a.o_form_uri").toHaveAttribute("href", "tel:+33612345678");
    await click(".o_field_phone .o-telephony-ClickToDial");
    await animationFrame();
    expect(calls).toEqual([["dial", "+33 6 12 34 56 78"], ["openPanel"]]);
});

test("a user who turned calling from Odoo off keeps the plain tel: link", async () => {
    const { state } = mockTelephony({ enabled: false });
    await mountContact("edit");
    expect(".o_field_phone .o-telephony-ClickToDial").toHaveCount(0);
    expect(".o_field_phone a.o_phone_form_link").toHaveAttribute("href", "tel:+33612345678");
    state.enabled = true;
    await animationFrame();
    expect(".o_field_phone .o-telephony-ClickToDial").toHaveCount(1);
    expect(".o_field_phone a[href^='tel:']").toHaveCount(0);
});
