import { defineMailModels } from "@mail/../tests/mail_test_helpers";
import { describe, expect, test } from "@odoo/hoot";
import { click } from "@odoo/hoot-dom";
import { advanceTime, animationFrame, mockDate } from "@odoo/hoot-mock";
import {
    getService,
    MockServer,
    mountWithCleanup,
    onRpc,
} from "@web/../tests/web_test_helpers";
import { WebClient } from "@web/webclient/webclient";

import { LIVE_CALLS_NOTIFICATION } from "@telephony/supervision/live_calls";

describe.current.tags("desktop");
defineMailModels();

function liveCall(id, values = {}) {
    return {
        id,
        user: "Anna Seller",
        other_party: "Azure Interior",
        direction: "inbound",
        state: "answered",
        start_date: "2026-03-01T08:59:00Z",
        answer_date: "2026-03-01T09:00:00Z",
        room: "",
        excluded: false,
        my_mode: false,
        my_state: false,
        ...values,
    };
}

async function openBoard() {
    // The systray's own start-up questions.
    onRpc("telephony.conference", "telephony_my_live_conferences", () => ({ conferences: [] }));
    onRpc("telephony.call", "telephony_widget_data", () => ({ enabled: true, live_call: false, recent_calls: [] }));
    await mountWithCleanup(WebClient);
    await getService("action").doAction({ type: "ir.actions.client", tag: "telephony_live_calls" });
    await animationFrame();
}

test("the board lists live calls with their running time, and ticks", async () => {
    mockDate("2026-03-01 09:02:05", 0);
    onRpc("telephony.call", "telephony_live_calls", () => [
        liveCall(1),
        liveCall(2, { state: "ringing", answer_date: false, other_party: "+33 6 12 34 56 78", direction: "outbound" }),
        liveCall(3, { start_date: "2026-03-01T06:59:00Z", answer_date: "2026-03-01T07:00:00Z" }),
    ]);
    await openBoard();
    expect(".o-telephony-LiveCall").toHaveCount(3);
    // As the journal shows durations (h:mm:ss), so a call reads the same on the board and in the journal.
    expect("[data-call-id='1'] .o-telephony-LiveCallDuration").toHaveText("0:02:05");
    expect("[data-call-id='2'] .o-telephony-LiveCallDuration").toHaveText("0:03:05");
    expect("[data-call-id='3'] .o-telephony-LiveCallDuration").toHaveText("2:02:05");
    expect("[data-call-id='2'] .o-telephony-LiveCallState").toHaveText("Ringing");
    // Nobody can listen to a call still ringing.
    expect("[data-call-id='2'] .o-telephony-Supervise:disabled").toHaveCount(3);
    await advanceTime(1000);
    expect("[data-call-id='1'] .o-telephony-LiveCallDuration").toHaveText("0:02:06");
});

test("Listen asks the server, and a refusal is shown, not thrown", async () => {
    const asked = [];
    onRpc("telephony.call", "telephony_live_calls", () => [liveCall(1), liveCall(2, { excluded: true })]);
    onRpc("telephony.call", "action_supervise", ({ args }) => {
        asked.push(args);
        if (args[1] === "whisper") {
            throw new Error("You have no phone to supervise with.");
        }
        return true;
    });
    await openBoard();
    expect("[data-call-id='2'] .o-telephony-Supervise").toHaveCount(0);
    expect("[data-call-id='2'] .o-telephony-Excluded").toHaveText("Excluded from supervision");
    await click("[data-call-id='1'] .o-telephony-Supervise[data-mode='listen']");
    await animationFrame();
    expect(".o_notification").toHaveText(/Your phone rings: answer it to listen\./);
    await click("[data-call-id='1'] .o-telephony-Supervise[data-mode='whisper']");
    await animationFrame();
    expect(".o_notification.border-danger, .o_notification_bar.bg-danger").toHaveCount(1);
    expect(asked).toEqual([
        [[1], "listen"],
        [[1], "whisper"],
    ]);
});

test("the board reloads when the PBX reports a change over the bus", async () => {
    let calls = [liveCall(1)];
    onRpc("telephony.call", "telephony_live_calls", () => calls);
    await openBoard();
    expect(".o-telephony-LiveCall").toHaveCount(1);
    calls = [liveCall(1, { my_mode: "listen", my_state: "ringing" }), liveCall(3, { user: "Ben Support" })];
    // The server sends it on each company's channel; the mock bus delivers "broadcast" to any session.
    MockServer.env["bus.bus"]._sendone("broadcast", LIVE_CALLS_NOTIFICATION, {});
    await advanceTime(100);
    await animationFrame();
    expect(".o-telephony-LiveCall").toHaveCount(2);
    expect("[data-call-id='1'] .o-telephony-MyMode").toHaveText("Answer your phone to listen");
    // Nothing to switch before the phone is answered: the server would refuse it.
    expect("[data-call-id='1'] .o-telephony-Supervise:disabled").toHaveCount(3);
    calls = [liveCall(1, { my_mode: "listen", my_state: "active" }), liveCall(3, { user: "Ben Support" })];
    MockServer.env["bus.bus"]._sendone("broadcast", LIVE_CALLS_NOTIFICATION, {});
    await advanceTime(100);
    await animationFrame();
    expect(".o-telephony-LiveCall").toHaveCount(2);
    expect("[data-call-id='1'] .o-telephony-MyMode").toHaveText("Listen");
    expect("[data-call-id='1'] .o-telephony-Supervise[data-mode='listen']:disabled").toHaveCount(1);
    calls = [];
    MockServer.env["bus.bus"]._sendone("broadcast", LIVE_CALLS_NOTIFICATION, {});
    await advanceTime(100);
    await animationFrame();
    expect(".o_view_nocontent").toHaveText(/No call right now/);
});

test("without the bus, the board still asks again every few seconds", async () => {
    let calls = [liveCall(1)];
    onRpc("telephony.call", "telephony_live_calls", () => calls);
    await openBoard();
    calls = [];
    await advanceTime(1000);
    expect(".o-telephony-LiveCall").toHaveCount(1);
    await advanceTime(4000);
    await animationFrame();
    expect(".o-telephony-LiveCall").toHaveCount(0);
});
