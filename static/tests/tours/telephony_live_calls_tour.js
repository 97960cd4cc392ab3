import { registry } from "@web/core/registry";

/**
 * A manager opens Live Calls while a customer talks to Rita, listens from their own phone (the simulator
 * answers it), then whispers, then barges in: each mode shows on the call's row once the PBX confirms it.
 * Tests run without the bus (Odoo refuses websockets under test): the board's own refresh redraws it here.
 */
registry.category("web_tour.tours").add("telephony_live_calls_tour", {
    steps: () => [
        { trigger: ".o-telephony-LiveCall:contains('Rita Board') .o-telephony-LiveCallState:contains('Connected')" },
        { trigger: ".o-telephony-LiveCall:contains('Rita Board') .o-telephony-LiveCallOther:contains('+33 6 12 34 56 78')" },
        { trigger: ".o-telephony-LiveCall:contains('Rita Board') .o-telephony-Supervise[data-mode='listen']:enabled", run: "click" },
        { trigger: ".o-telephony-LiveCall:contains('Rita Board') .o-telephony-MyMode[data-state='active']:contains('Listen')", timeout: 20000 },
        { trigger: ".o-telephony-LiveCall:contains('Rita Board') .o-telephony-Supervise[data-mode='whisper']:enabled", run: "click" },
        { trigger: ".o-telephony-LiveCall:contains('Rita Board') .o-telephony-MyMode[data-state='active']:contains('Whisper')", timeout: 20000 },
        { trigger: ".o-telephony-LiveCall:contains('Rita Board') .o-telephony-Supervise[data-mode='barge']:enabled", run: "click" },
        { trigger: ".o-telephony-LiveCall:contains('Rita Board') .o-telephony-MyMode[data-state='active']:contains('Barge')", timeout: 20000 },
    ],
});
