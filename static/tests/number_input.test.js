import { defineMailModels } from "@mail/../tests/mail_test_helpers";
import { describe, expect, test } from "@odoo/hoot";
import { click, edit, press } from "@odoo/hoot-dom";
import { advanceTime, animationFrame } from "@odoo/hoot-mock";
import { Component, useState, xml } from "@odoo/owl";
import { mountWithCleanup, onRpc } from "@web/../tests/web_test_helpers";

import { TelephonyNumberInput } from "@telephony/number_input/number_input";

describe.current.tags("desktop");
defineMailModels();

class Dialer extends Component {
    static components = { TelephonyNumberInput };
    static props = ["onEnter"];
    static template = xml`
        <div>
            <TelephonyNumberInput value="state.number" onChange.bind="setNumber" onEnter="props.onEnter"/>
            <button class="o-test-Key">1</button>
        </div>`;

    setup() {
        this.state = useState({ number: "" });
    }

    setNumber(number) {
        this.state.number = number;
    }
}

function mockSearch() {
    onRpc("telephony.conference", "telephony_my_live_conferences", () => ({ conferences: [] }));
    onRpc("telephony.call", "telephony_widget_data", () => ({ enabled: true, live_call: false, recent_calls: [] }));
    onRpc("telephony.call", "telephony_search_targets", () => [
        { kind: "room", label: "Board", number: "8001" },
    ]);
}

test("Enter closes the suggestions, even those of a search still on its way", async () => {
    mockSearch();
    const entered = [];
    await mountWithCleanup(Dialer, { props: { onEnter: () => entered.push("enter") } });
    await click("input");
    await edit("80");
    await advanceTime(300);
    await animationFrame();
    expect(".o-telephony-Suggestion").toHaveText(/Board\s+8001/);
    await edit("8001");
    await press("Enter");
    await advanceTime(300);
    await animationFrame();
    expect(entered).toEqual(["enter"]);
    expect(".o-telephony-Suggestions").toHaveCount(0);
});

test("leaving the field for the dialpad closes the suggestions", async () => {
    mockSearch();
    await mountWithCleanup(Dialer, { props: { onEnter: () => {} } });
    await click("input");
    await edit("80");
    await advanceTime(300);
    await animationFrame();
    expect(".o-telephony-Suggestion").toHaveCount(1);
    await click(".o-test-Key");
    await animationFrame();
    expect(".o-telephony-Suggestions").toHaveCount(0);
});

test("picking a suggestion sets its number and closes the list", async () => {
    mockSearch();
    await mountWithCleanup(Dialer, { props: { onEnter: () => {} } });
    await click("input");
    await edit("Bo");
    await advanceTime(300);
    await animationFrame();
    await click(".o-telephony-Suggestion");
    await animationFrame();
    expect("input").toHaveValue("8001");
    expect(".o-telephony-Suggestions").toHaveCount(0);
});
