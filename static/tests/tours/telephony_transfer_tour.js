import { registry } from "@web/core/registry";

/**
 * Desk-phone mode against the simulator: the user calls a colleague, holds the call, resumes it, then hands
 * it over to another colleague; the widget shows each step from the PBX, then is free for the next call.
 */
registry.category("web_tour.tours").add("telephony_transfer_tour", {
    steps: () => [
        { trigger: ".o-telephony-VoipSystray", run: "click" },
        { trigger: ".o-telephony-Number", run: "edit 7111" },
        { trigger: ".o-telephony-Call:enabled", run: "click" },
        { trigger: ".o-telephony-CallStatus:contains('Connected')", timeout: 20000 },
        { trigger: ".o-telephony-Hold:enabled", run: "click" },
        { trigger: ".o-telephony-OnHold:contains('On hold')", timeout: 20000 },
        { trigger: ".o-telephony-Resume:enabled", run: "click" },
        { trigger: ".o-telephony-CallControls:not(:has(.o-telephony-OnHold)) .o-telephony-Hold", timeout: 20000 },
        { trigger: ".o-telephony-Transfer", run: "click" },
        { trigger: ".o-telephony-TransferNumber", run: "edit 7112" },
        { trigger: ".o-telephony-TransferBlind:enabled", run: "click" },
        { trigger: ".o-telephony-CallStatus:contains('Transferred to Vic Transfer')", timeout: 20000 },
        { trigger: ".o-telephony-Voip:not(:has(.o-telephony-CallControls)) .o-telephony-Call" },
    ],
});
