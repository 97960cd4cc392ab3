import { defineMailModels } from "@mail/../tests/mail_test_helpers";
import { describe, expect, test } from "@odoo/hoot";
import { click, edit, queryOne } from "@odoo/hoot-dom";
import { advanceTime, animationFrame } from "@odoo/hoot-mock";
import { browser } from "@web/core/browser/browser";
import { mountWithCleanup, onRpc, patchWithCleanup } from "@web/../tests/web_test_helpers";

// The popup is a main component: mounting any component mounts it too.
import "@telephony/softphone/incoming_call";
import { sipLibrary } from "@telephony/softphone/sip_library";
import { VoipSystray } from "@telephony/voip/voip_systray";

describe.current.tags("desktop");
defineMailModels();

const CONFIG = {
    mode: "browser",
    websocket_url: "wss://pbx.example.com:8089/ws",
    uri: "sip:100@pbx.example.com",
    domain: "pbx.example.com",
    username: "100",
    password: "s3cret-password",
    display_name: "Mitchell Admin",
};

/**
 * A fake of the parts of SIP.js the softphone uses: a user agent whose transport and registrations the
 * test drives, and calls whose states it moves. `pbx` is what the test plays: down, refusing, ringing.
 */
function fakeSipLibrary() {
    const pbx = { down: false, refuse: false, microphone: "allowed", userAgents: [], calls: [] };
    const SessionState = {
        Initial: "Initial",
        Establishing: "Establishing",
        Established: "Established",
        Terminated: "Terminated",
    };
    const RegistererState = { Registered: "Registered", Unregistered: "Unregistered" };
    class Emitter {
        listeners = [];
        addListener(listener) {
            this.listeners.push(listener);
        }
        emit(value) {
            this.listeners.forEach((listener) => listener(value));
        }
    }
    class Session {
        state = SessionState.Initial;
        stateChange = new Emitter();
        sessionDescriptionHandler = {
            tones: [],
            sending: true,
            remoteMediaStream: null,
            sendDtmf(tones) {
                this.tones.push(tones);
                return true;
            },
            enableSenderTracks(enable) {
                this.sending = enable;
            },
        };
        moveTo(state) {
            this.state = state;
            this.stateChange.emit(state);
        }
    }
    class Inviter extends Session {
        constructor(userAgent, target) {
            super();
            this.target = target.toString();
            pbx.calls.push(this);
        }
        async invite() {
            if (pbx.microphone !== "allowed") {
                throw Object.assign(new Error(pbx.microphone), { name: pbx.microphone });
            }
            this.moveTo(SessionState.Establishing);
        }
        cancel() {
            this.ended = "cancel";
            this.moveTo(SessionState.Terminated);
        }
        bye() {
            this.ended = "bye";
            this.moveTo(SessionState.Terminated);
        }
    }
    class Invitation extends Session {
        constructor(number, name) {
            super();
            this.remoteIdentity = { uri: { user: number }, displayName: name };
        }
        async accept() {
            this.answered = true;
            this.moveTo(SessionState.Established);
        }
        reject({ statusCode } = {}) {
            this.rejected = statusCode || 480;
            this.moveTo(SessionState.Terminated);
        }
        bye() {
            this.ended = "bye";
            this.moveTo(SessionState.Terminated);
        }
    }
    class UserAgent {
        static makeURI(uri) {
            return { toString: () => uri };
        }
        constructor(options) {
            this.options = options;
            this.registrations = 0;
            pbx.userAgents.push(this);
        }
        async start() {
            if (pbx.down) {
                throw new Error("WebSocket closed");
            }
        }
        async reconnect() {
            return this.start();
        }
        async stop() {}
        /** The PBX drops the WebSocket. */
        drop() {
            this.options.delegate.onDisconnect(new Error("WebSocket closed"));
        }
        /** The PBX rings this browser. */
        ring(number, name) {
            const invitation = new Invitation(number, name);
            this.options.delegate.onInvite(invitation);
            return invitation;
        }
    }
    class Registerer {
        constructor(userAgent) {
            this.userAgent = userAgent;
            this.stateChange = new Emitter();
        }
        async register({ requestDelegate }) {
            if (pbx.refuse) {
                requestDelegate.onReject({ message: { statusCode: 403, reasonPhrase: "Forbidden" } });
                return;
            }
            this.userAgent.registrations++;
            // Like SIP.js: a registerer registered before a lost connection stays so, and says nothing.
            if (this.state !== RegistererState.Registered) {
                this.state = RegistererState.Registered;
                this.stateChange.emit(this.state);
            }
            requestDelegate.onAccept({ message: { statusCode: 200 } });
        }
        async unregister() {}
    }
    const library = { UserAgent, Registerer, Inviter, SessionState, RegistererState };
    patchWithCleanup(sipLibrary, { load: async () => library });
    return pbx;
}

function mockOdoo(config = CONFIG) {
    const rpcs = [];
    onRpc("res.users", "telephony_softphone_config", () => config);
    onRpc("telephony.call", "telephony_widget_data", () => ({
        enabled: true,
        extension: "100",
        live_call: null,
        recent_calls: [],
    }));
    onRpc("telephony.conference", "telephony_my_live_conferences", () => ({
        user_id: 2,
        is_manager: false,
        conferences: [],
    }));
    onRpc("telephony.call", "telephony_softphone_target", ({ args }) => {
        rpcs.push(["target", args[0]]);
        return { target: args[0].replace(/\s/g, "").replace(/^0/, "+33") };
    });
    onRpc("telephony.call", "telephony_search_targets", () => []);
    onRpc("telephony.call", "action_dial", ({ args }) => {
        rpcs.push(["action_dial", args[0]]);
        return { id: 1, direction: "outbound", state: "ringing", called_number: args[0], end_date: false };
    });
    onRpc("telephony.call", "action_send_dtmf", ({ args }) => rpcs.push(["action_send_dtmf", args[1]]));
    patchWithCleanup(browser.navigator, { mediaDevices: { getUserMedia: async () => ({}) } });
    return rpcs;
}

async function typeNumber(number) {
    await click(".o-telephony-Number");
    await edit(number);
    await animationFrame();
}

async function openPanel() {
    await mountWithCleanup(VoipSystray);
    await animationFrame();
    await click(".o-telephony-VoipSystray");
    await animationFrame();
}

test("registers the browser with the account Odoo gives, and says it is ready", async () => {
    const pbx = fakeSipLibrary();
    mockOdoo();
    await openPanel();
    expect(".o-telephony-SoftphoneStatus").toHaveText("Browser phone: ready");
    const [userAgent] = pbx.userAgents;
    expect(userAgent.options.transportOptions.server).toBe("wss://pbx.example.com:8089/ws");
    expect(userAgent.options.uri.toString()).toBe("sip:100@pbx.example.com");
    expect(userAgent.options.authorizationUsername).toBe("100");
    expect(userAgent.options.authorizationPassword).toBe("s3cret-password");
    expect(userAgent.registrations).toBe(1);
});

test("Call places the call from the browser, to the number Odoo checked", async () => {
    const pbx = fakeSipLibrary();
    const rpcs = mockOdoo();
    await openPanel();
    await typeNumber("06 12 34 56 78");
    await click(".o-telephony-Call");
    await animationFrame();
    expect(rpcs).toEqual([["target", "06 12 34 56 78"]]);
    expect(pbx.calls.map((call) => call.target)).toEqual(["sip:+33612345678@pbx.example.com"]);
    expect(".o-telephony-CallStatus").toHaveText("Calling…");
    expect(".o-telephony-HangUp").toHaveCount(1);
    await click(".o-telephony-HangUp");
    await animationFrame();
    expect(pbx.calls[0].ended).toBe("cancel");
    expect(".o-telephony-Call").toHaveCount(1);
});

test("during a call: keys go in the audio as RFC 4733 tones, mute stops my microphone, hang up says bye", async () => {
    const pbx = fakeSipLibrary();
    const rpcs = mockOdoo();
    await openPanel();
    await typeNumber("801");
    await click(".o-telephony-Call");
    await animationFrame();
    const [call] = pbx.calls;
    call.moveTo("Established");
    for (const key of ["2", "4", "6", "8", "#"]) {
        await click(`.o-telephony-Key[data-key='${key}']`);
    }
    expect(call.sessionDescriptionHandler.tones).toEqual(["2", "4", "6", "8", "#"]);
    expect(rpcs.filter(([kind]) => kind === "action_send_dtmf")).toEqual([]);
    await click(".o-telephony-Mute");
    await animationFrame();
    expect(call.sessionDescriptionHandler.sending).toBe(false);
    expect(".o-telephony-Mute").toHaveAttribute("title", "Unmute my microphone");
    await click(".o-telephony-Mute");
    await animationFrame();
    expect(call.sessionDescriptionHandler.sending).toBe(true);
    await click(".o-telephony-HangUp");
    await animationFrame();
    expect(call.ended).toBe("bye");
    expect(".o-telephony-Mute").toHaveCount(0);
});

test("a call ringing the browser pops up with Answer and Decline", async () => {
    const pbx = fakeSipLibrary();
    mockOdoo();
    await openPanel();
    const first = pbx.userAgents[0].ring("+33612345678", "Alice Martin");
    await animationFrame();
    expect(".o-telephony-IncomingCall-name").toHaveText("Alice Martin");
    await click(".o-telephony-Answer");
    await animationFrame();
    await animationFrame();
    expect(first.answered).toBe(true);
    expect(".o-telephony-IncomingCall").toHaveCount(0);
    expect(".o-telephony-Mute").toHaveCount(1);
    const second = pbx.userAgents[0].ring("+33611111111", "");
    expect(second.rejected).toBe(486, { message: "busy while a call is on" });
    first.bye();
    await animationFrame();
    const third = pbx.userAgents[0].ring("+33622222222", "");
    await animationFrame();
    expect(".o-telephony-IncomingCall-name").toHaveText("+33622222222");
    await click(".o-telephony-Decline");
    await animationFrame();
    expect(third.rejected).toBe(603);
    expect(".o-telephony-IncomingCall").toHaveCount(0);
});

test("a meeting calling the browser shows as the conference, without the PBX's own name as a number", async () => {
    const pbx = fakeSipLibrary();
    mockOdoo();
    await openPanel();
    pbx.userAgents[0].ring("asterisk", "Conference");
    await animationFrame();
    expect(".o-telephony-IncomingCall-name").toHaveText("Conference");
    expect(".o-telephony-IncomingCall").not.toHaveText(/asterisk/);
});

test("a caller who hangs up while it rings takes the popup away", async () => {
    const pbx = fakeSipLibrary();
    mockOdoo();
    await openPanel();
    const invitation = pbx.userAgents[0].ring("201", "Anna");
    await animationFrame();
    expect(".o-telephony-IncomingCall").toHaveCount(1);
    invitation.moveTo("Terminated");
    await animationFrame();
    expect(".o-telephony-IncomingCall").toHaveCount(0);
});

test("a lost PBX is shown, and the browser registers again once it is back", async () => {
    const pbx = fakeSipLibrary();
    mockOdoo();
    await openPanel();
    pbx.down = true;
    pbx.userAgents[0].drop();
    await animationFrame();
    expect(".o-telephony-SoftphoneStatus").toHaveText("Browser phone: offline");
    expect(".o-telephony-SoftphoneProblem").toHaveText(
        "The PBX cannot be reached (WebSocket closed): reconnecting…"
    );
    await advanceTime(2000);
    await animationFrame();
    expect(".o-telephony-SoftphoneStatus").toHaveText("Browser phone: offline", { message: "still down" });
    pbx.down = false;
    await advanceTime(8000);
    await animationFrame();
    expect(".o-telephony-SoftphoneStatus").toHaveText("Browser phone: ready");
    expect(pbx.userAgents[0].registrations).toBe(2);
    expect(".o-telephony-SoftphoneProblem").toHaveCount(0);
});

test("an account the PBX refuses is named, and Call says so instead of dialling", async () => {
    const pbx = fakeSipLibrary();
    const rpcs = mockOdoo();
    pbx.refuse = true;
    await openPanel();
    expect(".o-telephony-SoftphoneProblem").toHaveText("The PBX refused this browser's account (403 Forbidden).");
    await typeNumber("801");
    await click(".o-telephony-Call");
    await animationFrame();
    expect(pbx.calls).toEqual([]);
    expect(".o_notification_content").toHaveText("The PBX refused this browser's account (403 Forbidden).");
    expect(rpcs.filter(([kind]) => kind === "action_dial")).toEqual([]);
});

test("a microphone the browser refuses is explained", async () => {
    const pbx = fakeSipLibrary();
    mockOdoo();
    pbx.microphone = "NotAllowedError";
    await openPanel();
    await typeNumber("801");
    await click(".o-telephony-Call");
    await animationFrame();
    expect(".o_notification_content").toHaveText(
        "Odoo may not use your microphone: allow it in the browser's address bar, then call again."
    );
    expect(".o-telephony-Call").toHaveCount(1);
});

test("without the SIP library the widget keeps the desk phone and says why", async () => {
    patchWithCleanup(sipLibrary, {
        load: async () => {
            throw new Error("404");
        },
    });
    const rpcs = mockOdoo();
    await openPanel();
    expect(".o-telephony-SoftphoneFallback").toHaveText(
        "The browser phone's SIP library is not installed on this Odoo server (npm ci): calls ring your desk phone."
    );
    await typeNumber("801");
    await click(".o-telephony-Call");
    await animationFrame();
    expect(rpcs).toEqual([["action_dial", "801"]]);
});

test("desk phone users see nothing of the browser phone", async () => {
    fakeSipLibrary();
    mockOdoo({ mode: "desk" });
    await openPanel();
    expect(".o-telephony-SoftphoneStatus").toHaveCount(0);
    expect(".o-telephony-SoftphoneFallback").toHaveCount(0);
    expect(queryOne(".o-telephony-Call")).not.toBe(null);
});
