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
        openContact: (id) => calls.push(["openContact", id]),
        openTimeline: (params, subject) => calls.push(["openTimeline", params, subject]),
        newContact: (number) => calls.push(["newContact", number]),
        linkNumber: (number) => calls.push(["linkNumber", number]),
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

const RINGING = {
    id: 9,
    direction: "inbound",
    state: "ringing",
    caller_number: "0184880000",
    called_number: "100",
    end_date: false,
    answer_date: false,
};

test("a known caller's card lists every match, the last calls and what is to do", async () => {
    const card = {
        call_id: 9,
        direction: "inbound",
        number: "0184880000",
        number_international: "+33 1 84 88 00 00",
        partner_id: 5,
        partners: [
            { id: 5, name: "Switchboard SA", company_name: "", is_company: true, function: "" },
            { id: 6, name: "Zoe", company_name: "Switchboard SA", is_company: false, function: "Buyer" },
        ],
        colleagues: [],
        last_calls: [{ id: 1, direction: "inbound", state: "missed", start_date: "2026-03-01 09:00:00" }],
        activities: [{ id: 2, summary: "Send the quote", date_deadline: "2026-03-05", state: "overdue" }],
        action: false,
    };
    const { calls } = mockTelephony({ call: RINGING, card, cardCount: 1 });
    await openPanel();
    expect(".o-telephony-CallStatus").toHaveText("Incoming call from 0184880000");
    expect(".o-telephony-CallerName").toHaveCount(2);
    expect(".o-telephony-CallerName.fw-bold").toHaveText("Switchboard SA");
    expect(".o-telephony-CallerCard").toHaveText(/Missed/);
    expect(".o-telephony-CallerCard").toHaveText(/Send the quote/);
    expect(".o-telephony-NewContact").toHaveCount(0);
    await click(".o-telephony-OpenTimeline");
    await animationFrame();
    expect(calls).toEqual([["openTimeline", { partner_id: 5 }, "Switchboard SA"]]);
});

test("an unknown caller's card offers to create a contact or link the number", async () => {
    const card = {
        call_id: 9,
        direction: "inbound",
        number: "0184880000",
        number_international: "+33 1 84 88 00 00",
        partner_id: false,
        partners: [],
        colleagues: [],
        last_calls: [],
        activities: [],
        action: false,
    };
    const { calls } = mockTelephony({ call: RINGING, card, cardCount: 1 });
    await openPanel();
    expect(".o-telephony-CallerCard").toHaveText(/Unknown number/);
    await click(".o-telephony-LinkNumber");
    await animationFrame();
    expect(calls).toEqual([["linkNumber", "0184880000"]]);
});
