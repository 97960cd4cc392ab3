import { defineMailModels } from "@mail/../tests/mail_test_helpers";
import { describe, expect, test } from "@odoo/hoot";
import { click, edit } from "@odoo/hoot-dom";
import { animationFrame } from "@odoo/hoot-mock";
import { reactive } from "@odoo/owl";
import { user } from "@web/core/user";
import { makeMockEnv, mockService, mountWithCleanup, onRpc } from "@web/../tests/web_test_helpers";

import { CallControls, handedOverStatus } from "@telephony/voip/call_controls";

describe.current.tags("desktop");
defineMailModels();

const CONNECTED = {
    id: 7,
    direction: "inbound",
    state: "answered",
    answer_date: "2026-03-01 09:00:00",
    end_date: false,
    contact_name: "Azure Interior",
    number_display: "+33 1 84 88 00 00",
    on_hold: false,
    transfer_state: false,
    consult: false,
};

function mockTelephony() {
    const calls = [];
    onRpc("telephony.call", "telephony_search_targets", () => []);
    mockService("telephony", () => ({
        state: reactive({ conferences: [] }),
        isLive: (call) => ["ringing", "answered"].includes(call.state) && !call.end_date,
        hold: async () => calls.push(["hold"]) && true,
        resume: async () => calls.push(["resume"]) && true,
        transfer: async (target, attended) => calls.push(["transfer", target, attended]) && true,
        completeTransfer: async () => calls.push(["complete"]) && true,
        cancelTransfer: async () => calls.push(["cancel"]) && true,
        startRecording: async () => calls.push(["record"]) && true,
        stopRecording: async () => calls.push(["stop recording"]) && true,
    }));
    return calls;
}

test("a connected call offers Hold and Transfer; a held one Resume", async () => {
    const calls = mockTelephony();
    await mountWithCleanup(CallControls, { props: { call: CONNECTED } });
    expect(".o-telephony-OnHold").toHaveCount(0);
    await click(".o-telephony-Hold");
    await animationFrame();
    expect(calls).toEqual([["hold"]]);
});

test("on demand, Record starts the recording and Stop Recording stops it", async () => {
    const calls = mockTelephony();
    await mountWithCleanup(CallControls, { props: { call: { ...CONNECTED, recording_on_demand: true } } });
    expect(".o-telephony-Recording").toHaveCount(0);
    await click(".o-telephony-Record");
    await animationFrame();
    expect(calls).toEqual([["record"]]);
});

test("a recorded call shows it; on demand it offers Stop Recording, otherwise no button", async () => {
    const calls = mockTelephony();
    const call = reactive({ ...CONNECTED, recording: true, recording_on_demand: true });
    await mountWithCleanup(CallControls, { props: { call } });
    expect(".o-telephony-Recording").toHaveText("Recording");
    expect(".o-telephony-Record").toHaveText("Stop Recording");
    await click(".o-telephony-Record");
    await animationFrame();
    expect(calls).toEqual([["stop recording"]]);
});

test("a call recorded by policy shows the mark and no button", async () => {
    mockTelephony();
    await mountWithCleanup(CallControls, { props: { call: { ...CONNECTED, recording: true } } });
    expect(".o-telephony-Recording").toHaveCount(1);
    expect(".o-telephony-Record").toHaveCount(0);
});

test("a held call says so and resumes", async () => {
    const calls = mockTelephony();
    await mountWithCleanup(CallControls, { props: { call: { ...CONNECTED, on_hold: true } } });
    expect(".o-telephony-OnHold").toHaveText("On hold");
    await click(".o-telephony-Resume");
    await animationFrame();
    expect(calls).toEqual([["resume"]]);
});

test("Transfer hands the call over at once, Consult calls the target first", async () => {
    const calls = mockTelephony();
    await mountWithCleanup(CallControls, { props: { call: CONNECTED } });
    expect(".o-telephony-TransferForm").toHaveCount(0);
    await click(".o-telephony-Transfer");
    await animationFrame();
    expect(".o-telephony-TransferBlind").not.toBeEnabled();
    await click(".o-telephony-TransferNumber");
    await edit("202");
    await animationFrame();
    await click(".o-telephony-TransferConsult");
    await animationFrame();
    expect(calls).toEqual([["transfer", "202", true]]);
    expect(".o-telephony-TransferForm").toHaveCount(0, { message: "the form closes once the PBX was asked" });
    await click(".o-telephony-Transfer");
    await animationFrame();
    await click(".o-telephony-TransferNumber");
    await edit("203");
    await animationFrame();
    await click(".o-telephony-TransferBlind");
    await animationFrame();
    expect(calls.at(-1)).toEqual(["transfer", "203", false]);
});

test("while consulting, Complete waits for the target's answer; Cancel does not", async () => {
    const calls = mockTelephony();
    const consulting = {
        ...CONNECTED,
        on_hold: true,
        transfer_state: "consulting",
        transfer_name: "Boris",
        transferred_by_id: user.userId,
        consult: { id: 8, state: "ringing", end_date: false },
    };
    await mountWithCleanup(CallControls, { props: { call: consulting } });
    expect(".o-telephony-TransferNote").toHaveText("Calling Boris… Azure Interior is on hold.");
    expect(".o-telephony-CompleteTransfer").not.toBeEnabled();
    expect(".o-telephony-Hold, .o-telephony-Transfer").toHaveCount(0);
    await click(".o-telephony-CancelTransfer");
    await animationFrame();
    expect(calls).toEqual([["cancel"]]);
});

test("a consulted target who answered can take the call", async () => {
    const calls = mockTelephony();
    const consulting = {
        ...CONNECTED,
        transfer_state: "consulting",
        transfer_name: "Boris",
        transferred_by_id: user.userId,
        consult: { id: 8, state: "answered", end_date: false },
    };
    await mountWithCleanup(CallControls, { props: { call: consulting } });
    expect(".o-telephony-TransferNote").toHaveText("Talking to Boris: Azure Interior is on hold.");
    await click(".o-telephony-CompleteTransfer");
    await animationFrame();
    expect(calls).toEqual([["complete"]]);
});

test("whom a call is transferred to reads who sent it, and holds it once their phone answered", async () => {
    mockTelephony();
    const ringing = {
        ...CONNECTED,
        transfer_state: "ringing",
        transfer_user_id: user.userId,
        transferred_by_id: user.userId + 1,
        transferred_by_name: "Anna",
    };
    await mountWithCleanup(CallControls, { props: { call: ringing } });
    expect(".o-telephony-TransferNote").toHaveText("Transferred by Anna: your phone rings.");
    expect(".o-telephony-Hold").toHaveCount(0, { message: "nobody talks to the caller yet" });
});

test("who handed a call over reads whom it went to; the others read nothing of it", async () => {
    mockTelephony();
    await makeMockEnv();
    const handedOver = { ...CONNECTED, transferred_by_id: 3, transfer_state: "ringing", transfer_name: "Boris" };
    expect(String(handedOverStatus(handedOver, 3))).toBe("Transferring to Boris…");
    expect(String(handedOverStatus({ ...handedOver, transfer_state: "answered" }, 3))).toBe("Transferred to Boris");
    expect(handedOverStatus({ ...handedOver, transfer_state: "answered" }, 4)).toBe("");
    expect(handedOverStatus({ ...handedOver, transfer_state: "returned" }, 3)).toBe("");
});
