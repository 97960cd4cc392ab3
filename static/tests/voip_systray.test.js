import { defineMailModels } from "@mail/../tests/mail_test_helpers";
import { describe, expect, test } from "@odoo/hoot";
import { click, edit, press, queryAllTexts, queryOne, waitFor } from "@odoo/hoot-dom";
import { advanceTime, animationFrame, mockDate } from "@odoo/hoot-mock";
import { reactive } from "@odoo/owl";
import { defineParams, mockService, mountWithCleanup, onRpc } from "@web/../tests/web_test_helpers";

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
    mockService("telephony_softphone", () => ({
        state: reactive({ mode: "desk", status: "off", reason: "", incoming: null, inCall: false, muted: false }),
        hasCall: false,
    }));
    mockService("telephony", () => ({
        state,
        load: async () => {},
        refreshCard: async () => {},
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
        "Calling from Odoo is turned off for you. Turn it on in My Profile › Telephony."
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
        last_calls: [
            { id: 1, direction: "inbound", state: "missed", start_date: "2026-03-01 09:00:00", recording_url: false },
            {
                id: 3,
                direction: "outbound",
                state: "answered",
                start_date: "2026-02-27 16:00:00",
                recording_url: "/telephony/recording/4",
            },
        ],
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
    // Only the recorded call has a player, on its own recording.
    expect(".o-telephony-CallerCard audio").toHaveCount(1);
    expect(".o-telephony-CallerCard audio").toHaveAttribute("src", "/telephony/recording/4");
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
        can_create_contact: true,
        can_link_contact: true,
    };
    const { calls } = mockTelephony({ call: RINGING, card, cardCount: 1 });
    await openPanel();
    expect(".o-telephony-CallerCard").toHaveText(/Unknown number/);
    await click(".o-telephony-LinkNumber");
    await animationFrame();
    expect(calls).toEqual([["linkNumber", "0184880000"]]);
});

const UNKNOWN_CARD = {
    call_id: 9,
    direction: "inbound",
    number: "0184880000",
    number_international: "+33 1 84 88 00 00",
    internal: false,
    internal_name: "",
    partner_id: false,
    partners: [],
    colleagues: [],
    last_calls: [],
    activities: [],
    action: false,
};

test("an unknown caller's card offers only what the user may do", async () => {
    const card = { ...UNKNOWN_CARD, can_create_contact: false, can_link_contact: false };
    mockTelephony({ call: RINGING, card, cardCount: 1 });
    await openPanel();
    expect(".o-telephony-CallerCard").toHaveText(/Unknown number/);
    expect(".o-telephony-NewContact").toHaveCount(0);
    expect(".o-telephony-LinkNumber").toHaveCount(0);
    expect(".o-telephony-OpenTimeline").toHaveCount(1);
});

test("a room call's card names the room and offers no contact", async () => {
    const call = { ...RINGING, direction: "internal", caller_number: "100", called_number: "8001", conference_id: 4 };
    const card = {
        ...UNKNOWN_CARD,
        direction: "internal",
        number: "8001",
        number_international: "8001",
        internal: true,
        internal_name: "Board",
        can_create_contact: true,
        can_link_contact: true,
    };
    mockTelephony({ call, card, cardCount: 1 });
    await openPanel();
    expect(".o-telephony-InternalName").toHaveText("Board");
    expect(".o-telephony-CallerCard").not.toHaveText(/Unknown number/);
    expect(".o-telephony-NewContact, .o-telephony-LinkNumber, .o-telephony-OpenTimeline").toHaveCount(0);
});

test("a room with a code says to type it, until the code lets me in", async () => {
    const call = {
        id: 4,
        direction: "internal",
        state: "ringing",
        called_number: "8001",
        conference_id: 6,
        contact_name: "Board",
        number_display: "8001",
        access_code_required: true,
        answer_date: false,
        end_date: false,
    };
    const { calls, state } = mockTelephony({ call });
    await openPanel();
    expect(".o-telephony-AccessCodeHint").toHaveText("Type the access code then #");
    await click(".o-telephony-Key[data-key='1']");
    await click(".o-telephony-Key[data-key='#']");
    await animationFrame();
    expect(".o-telephony-AccessCodeHint").toHaveCount(1, { message: "a wrong code: the room asks again" });
    state.call = { ...call, state: "answered", answer_date: "2026-03-01 09:00:00" };
    await animationFrame();
    expect(".o-telephony-AccessCodeHint").toHaveCount(0);
    expect(calls).toEqual([["dtmf", "1"], ["dtmf", "#"]]);
});

test("a caller refused for a wrong access code is told so", async () => {
    const call = { id: 4, direction: "internal", state: "rejected", called_number: "8001", end_date: "2026-03-01 09:01:00" };
    mockTelephony({ call });
    await openPanel();
    expect(".o-telephony-CallStatus").toHaveText("Refused: wrong access code");
});

test("recent calls show who and when, and a click calls back", async () => {
    const recentCalls = [
        {
            id: 1,
            direction: "inbound",
            state: "answered",
            caller_number: "0184880000",
            called_number: "100",
            contact_name: "Switchboard SA",
            number_display: "+33 1 84 88 00 00",
            start_date: "2026-03-01 09:00:00",
            end_date: "2026-03-01 09:05:00",
        },
        {
            id: 2,
            direction: "outbound",
            state: "missed",
            caller_number: "100",
            called_number: "0612345678",
            contact_name: "",
            number_display: "+33 6 12 34 56 78",
            start_date: "2026-03-02 10:30:00",
            end_date: "2026-03-02 10:31:00",
        },
    ];
    mockDate("2026-03-10 12:00:00");
    const { calls } = mockTelephony({ recentCalls });
    await openPanel();
    expect(queryAllTexts(".o-telephony-RecentName")).toEqual(["Switchboard SA", "+33 6 12 34 56 78"]);
    expect(".o-telephony-RecentCall:first").toHaveText(/\+33 1 84 88 00 00/);
    expect(".o-telephony-RecentTime:first").toHaveText(/Mar 1/);
    await click(".o-telephony-RecentCall:first");
    await animationFrame();
    expect(calls).toEqual([["dial", "+33 1 84 88 00 00"]]);
});

test("a call placed from a page (a phone field, an activity) opens the widget on it", async () => {
    const { state } = mockTelephony({
        panelRequests: 0,
        call: { id: 5, state: "ringing", called_number: "+33612345678", contact_name: "Azure", end_date: false },
    });
    await mountWithCleanup(VoipSystray);
    expect(".o-telephony-Voip").toHaveCount(0);
    state.panelRequests++;
    await waitFor(".o-telephony-CallStatus");
    expect(".o-telephony-CallStatus").toHaveText("Calling Azure…");
});

/** French as Odoo ships it (res.lang): day first. */
const FRENCH = { lang: "fr_FR", lang_parameters: { date_format: "%d/%m/%Y", week_start: 1 } };

function recentCall(id, startDate) {
    return {
        id,
        direction: "inbound",
        state: "answered",
        contact_name: "",
        number_display: `+33 1 84 88 00 0${id}`,
        start_date: startDate,
        end_date: startDate,
    };
}

test("the widget says when calls were in the user's time zone and language", async () => {
    defineParams(FRENCH);
    mockDate("2026-03-10 12:00:00", "Europe/Paris"); // UTC; 13:00 in Paris
    const card = {
        ...UNKNOWN_CARD,
        // 23:30 UTC on 28 February: already 1 March in Paris.
        last_calls: [{ id: 1, direction: "inbound", state: "missed", start_date: "2026-02-28 23:30:00" }],
        activities: [{ id: 2, summary: "Rappeler", date_deadline: "2026-03-05", state: "overdue" }],
    };
    const recentCalls = [
        recentCall(1, "2026-03-10 08:15:00"), // today: the time is enough
        recentCall(2, "2025-12-24 17:00:00"), // last year: the year too
    ];
    mockTelephony({ call: RINGING, card, cardCount: 1, recentCalls });
    await openPanel();
    const lastCall = queryOne(".o-telephony-LastCallTime").textContent;
    expect(lastCall).toMatch(/^1 mars.*00:30$/);
    expect(".o-telephony-ActivityDeadline").toHaveText("05/03/2026");
    const [today, lastYear] = queryAllTexts(".o-telephony-RecentTime");
    expect(today).toBe("09:15");
    expect(lastYear).toMatch(/^24 déc\. 2025.*18:00$/);
});

test("in Russian, the last calls read with Russian month names", async () => {
    defineParams({ lang: "ru_RU", lang_parameters: { date_format: "%d.%m.%Y", week_start: 1 } });
    mockDate("2026-03-10 12:00:00", "Europe/Moscow");
    const card = {
        ...UNKNOWN_CARD,
        last_calls: [{ id: 1, direction: "inbound", state: "missed", start_date: "2026-03-01 09:00:00" }],
    };
    mockTelephony({ call: RINGING, card, cardCount: 1 });
    await openPanel();
    expect(queryOne(".o-telephony-LastCallTime").textContent).toMatch(/^1 мар\..*12:00$/);
});

test("a call connected for over two hours counts in hours: 2:00:02", async () => {
    mockDate("2026-03-10 12:00:00");
    const call = { ...RINGING, state: "answered", answer_date: "2026-03-10 09:59:58" };
    mockTelephony({ call });
    await openPanel();
    expect(".o-telephony-CallStatus").toHaveText(/^Connected 2:00:02/);
});
