import { defineMailModels } from "@mail/../tests/mail_test_helpers";
import { describe, expect, test } from "@odoo/hoot";
import { click, queryAllTexts } from "@odoo/hoot-dom";
import { animationFrame } from "@odoo/hoot-mock";
import { reactive } from "@odoo/owl";
import { mockService, mountWithCleanup } from "@web/../tests/web_test_helpers";

import { ConferenceWindow } from "@telephony/conference/conference_window";

describe.current.tags("desktop");
defineMailModels();

const CREATOR = 7;

function conference(participants, values = {}) {
    return {
        id: 1,
        name: "Pipeline review",
        extension: "",
        kind: "meeting",
        state: "running",
        creator_id: CREATOR,
        administrator_id: CREATOR,
        participants,
        ...values,
    };
}

function participant(id, name, values = {}) {
    return {
        id,
        name,
        number: `10${id}`,
        state: "joined",
        muted: false,
        talking: false,
        is_administrator: false,
        user_id: 100 + id,
        partner_id: false,
        ...values,
    };
}

function mockTelephony(userId) {
    const calls = [];
    mockService("telephony", () => ({
        state: reactive({ userId, isManager: false, conferences: [] }),
        conferenceAction: async (...args) => calls.push(["conference", ...args]) && true,
        participantAction: async (...args) => calls.push(["participant", ...args]),
        dismissConference: (...args) => calls.push(["dismiss", ...args]),
    }));
    return calls;
}

test("whoever talks has a green border, the muted a mark", async () => {
    mockTelephony(CREATOR);
    await mountWithCleanup(ConferenceWindow, {
        props: {
            conference: conference([
                participant(1, "Ann", { talking: true }),
                participant(2, "Ben", { muted: true }),
            ]),
        },
    });
    expect(".o-telephony-Talking").toHaveCount(1);
    expect(".o-telephony-Talking").toHaveAttribute("data-participant-name", "Ann");
    expect("[data-participant-name='Ben'] .o-telephony-MutedMark").toHaveCount(1);
    expect(queryAllTexts(".o-telephony-ParticipantState")).toEqual(["In the conference", "In the conference"]);
});

test("the creator mutes and removes participants", async () => {
    const calls = mockTelephony(CREATOR);
    await mountWithCleanup(ConferenceWindow, {
        props: { conference: conference([participant(1, "Ann"), participant(2, "Ben", { muted: true })]) },
    });
    await click("[data-participant-name='Ann'] .o-telephony-Mute");
    await click("[data-participant-name='Ben'] .o-telephony-Mute");
    await click("[data-participant-name='Ann'] .o-telephony-Remove");
    await animationFrame();
    expect(calls).toEqual([
        ["conference", 1, "action_mute", [1, true]],
        ["conference", 1, "action_mute", [2, false]],
        ["conference", 1, "action_kick", [1]],
    ]);
});

test("a participant mutes themselves and leaves, but moderates nobody", async () => {
    const calls = mockTelephony(101);
    await mountWithCleanup(ConferenceWindow, {
        props: { conference: conference([participant(1, "Ann"), participant(2, "Ben")]) },
    });
    expect(".o-telephony-Mute").toHaveCount(0);
    expect(".o-telephony-Remove").toHaveCount(0);
    expect(".o-telephony-Add").toHaveCount(0);
    await click(".o-telephony-MuteMyself");
    await click(".o-telephony-Leave");
    await animationFrame();
    expect(calls).toEqual([
        ["participant", 1, "action_mute_self", [true]],
        ["participant", 1, "action_leave", []],
    ]);
});

test("a participant the moderator muted sees it and cannot unmute themselves", async () => {
    const calls = mockTelephony(101);
    await mountWithCleanup(ConferenceWindow, {
        props: {
            conference: conference([participant(1, "Ann", { muted: true, muted_by_moderator: true }), participant(2, "Ben")]),
        },
    });
    expect("[data-participant-name='Ann'] .o-telephony-MutedMark").toHaveAttribute("title", "Muted by the moderator");
    expect(".o-telephony-MuteMyself").toHaveText("Muted by the moderator");
    expect(".o-telephony-MuteMyself").toHaveAttribute("disabled");
    await click(".o-telephony-Leave");
    await animationFrame();
    expect(calls).toEqual([["participant", 1, "action_leave", []]]);
});

test("the moderator muted by nobody but themselves may unmute", async () => {
    const calls = mockTelephony(CREATOR);
    await mountWithCleanup(ConferenceWindow, {
        props: {
            conference: conference([
                participant(1, "Ann", { user_id: CREATOR, muted: true, muted_by_moderator: true }),
                participant(2, "Ben"),
            ]),
        },
    });
    expect(".o-telephony-MuteMyself").toHaveText("Unmute me");
    await click(".o-telephony-MuteMyself");
    await animationFrame();
    expect(calls).toEqual([["participant", 1, "action_mute_self", [false]]]);
});

test("a room being recorded says so", async () => {
    mockTelephony(CREATOR);
    await mountWithCleanup(ConferenceWindow, {
        props: { conference: conference([participant(1, "Ann")], { recording: true }) },
    });
    expect(".o-telephony-ConferenceRecording").toHaveText("Recording");
});

test("a room not recorded shows no mark", async () => {
    mockTelephony(CREATOR);
    await mountWithCleanup(ConferenceWindow, { props: { conference: conference([participant(1, "Ann")]) } });
    expect(".o-telephony-ConferenceRecording").toHaveCount(0);
});

test("a room waiting for its administrator says so", async () => {
    mockTelephony(101);
    await mountWithCleanup(ConferenceWindow, {
        props: { conference: conference([participant(1, "Ann", { state: "waiting" })], { state: "waiting" }) },
    });
    expect(".o-telephony-WaitingForAdmin").toHaveCount(1);
    expect(queryAllTexts(".o-telephony-ParticipantState")).toEqual(["Waiting for the administrator"]);
});

test("after Leave my row shows Left, like everyone else's", async () => {
    mockTelephony(101);
    await mountWithCleanup(ConferenceWindow, {
        props: {
            conference: conference([
                participant(1, "Ann", { state: "left" }),
                participant(2, "Ben", { state: "left" }),
                participant(3, "Cid"),
            ]),
        },
    });
    expect(queryAllTexts(".o-telephony-Participant .text-truncate:first-child")).toEqual(["Ann", "Ben", "Cid"]);
    expect(queryAllTexts(".o-telephony-ParticipantState")).toEqual(["Left", "Left", "In the conference"]);
});

test("whoever left and came back shows once, live", async () => {
    mockTelephony(101);
    await mountWithCleanup(ConferenceWindow, {
        props: {
            conference: conference([participant(1, "Ann", { state: "left" }), participant(4, "Ann", { user_id: 101 })]),
        },
    });
    expect(queryAllTexts(".o-telephony-ParticipantState")).toEqual(["In the conference"]);
});
