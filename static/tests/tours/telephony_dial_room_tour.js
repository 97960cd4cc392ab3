import { registry } from "@web/core/registry";

/** The Axivox way: open the VoIP widget, dial the room's extension, type the access code and #. */
registry.category("web_tour.tours").add("telephony_dial_room_tour", {
    steps: () => [
        { trigger: ".o-telephony-VoipSystray", run: "click" },
        { trigger: ".o-telephony-Number", run: "edit Widget" },
        { trigger: ".o-telephony-Suggestion:contains('Widget room'):contains('7801')", run: "click" },
        { trigger: ".o-telephony-Call:enabled", run: "click" },
        { trigger: ".o-telephony-Voip:not(:has(.o-telephony-Suggestions))" },
        { trigger: ".o-telephony-CallStatus:contains('Calling Widget room')" },
        { trigger: ".o-telephony-CallerCard:contains('Widget room'):not(:contains('Unknown number'))" },
        {
            // the user's phone answers and the receptionist asks for the code
            trigger: ".o-telephony-AccessCodeHint:contains('Type the access code then #')",
            async run() {
                await new Promise((resolve) => setTimeout(resolve, 1500));
            },
        },
        ...["2", "4", "6", "8", "#"].map((key) => ({
            trigger: `.o-telephony-Key[data-key='${key}']`,
            run: "click",
        })),
        { trigger: ".o-telephony-CallStatus:contains('Connected')", timeout: 20000 },
        { trigger: ".o-telephony-Voip:not(:has(.o-telephony-AccessCodeHint))" },
        { trigger: ".o-telephony-HangUp", run: "click" },
        { trigger: ".o-telephony-CallStatus:contains('Ended')", timeout: 20000 },
    ],
});
