import { defineMailModels } from "@mail/../tests/mail_test_helpers";
import { describe, expect, test } from "@odoo/hoot";
import { click, queryOne } from "@odoo/hoot-dom";
import { animationFrame } from "@odoo/hoot-mock";
import { reactive } from "@odoo/owl";
import { mockService, mountWithCleanup } from "@web/../tests/web_test_helpers";

import { VoipSystray } from "@telephony/voip/voip_systray";

describe.current.tags("desktop");
defineMailModels();

function mockTelephony(values = {}) {
    const calls = [];
    const state = reactive({
        loaded: true,
        allowed: true,
        enabled: true,
        extension: "100",
        call: null,
        recentCalls: [],
        conferences: [],
        ...values,
    });
    mockService("telephony", () => ({
        state,
        load: async () => {},
        dial: async (number) => calls.push(["dial", number]) && true,
        sendDtmf: async (digits) => calls.push(["dtmf", digits]),
        hangUp: async () => calls.push(["hangUp"]),
        isLive: (call) => ["ringing", "answered"].includes(call.state) && !call.end_date,
    }));
    return { calls, state };
}

async function openPanel() {
    await mountWithCleanup(VoipSystray);
    await click(".o-telephony-VoipSystray");
    await animationFrame();
}

test("dialpad keys build the number, then Call dials it", async () => {
    const { calls } = mockTelephony();
    await openPanel();
    for (const key of ["8", "0", "1"]) {
        await click(`.o-telephony-Key[data-key='${key}']`);
    }
    await animationFrame();
    expect(queryOne(".o-telephony-Number").value).toBe("801");
    await click(".o-telephony-Call");
    await animationFrame();
    expect(calls).toEqual([["dial", "801"]]);
});

test("during a call the dialpad sends DTMF, like a phone keypad", async () => {
    const { calls } = mockTelephony({
        call: { id: 3, state: "ringing", called_number: "801", end_date: false, answer_date: false },
    });
    await openPanel();
    expect(".o-telephony-CallStatus").toHaveText("Calling 801…");
    await click(".o-telephony-Key[data-key='2']");
    await click(".o-telephony-Key[data-key='#']");
    await click(".o-telephony-HangUp");
    await animationFrame();
    expect(calls).toEqual([["dtmf", "2"], ["dtmf", "#"], ["hangUp"]]);
    expect(queryOne(".o-telephony-Number").value).toBe("");
});

test("calling turned off says where to turn it on", async () => {
    mockTelephony({ enabled: false });
    await openPanel();
    expect(".o-telephony-Voip .alert-warning").toHaveText(
        "Calling from Odoo is turned off for you. Turn it on in My Preferences › Telephony."
    );
});
