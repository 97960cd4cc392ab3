import { registry } from "@web/core/registry";

const participant = (name) => `.o-telephony-Participant[data-participant-name='${name}']`;

/** Seed 000: a meeting from the Employees list, its live window, and what the creator can do in it. */
registry.category("web_tour.tours").add("telephony_meeting_tour", {
    steps: () => [
        ...["Ann Meeting", "Ben Meeting", "Cid Meeting"].map((name) => ({
            trigger: `.o_data_row:contains('${name}') .o_list_record_selector input`,
            run: "click",
        })),
        { trigger: ".o_control_panel button:contains('Meeting')", run: "click" },
        { trigger: ".modal .o_field_widget[name='name'] input", run: "edit Pipeline review" },
        { trigger: ".modal button:contains('Create')", run: "click" },
        { trigger: ".o-telephony-ConferenceWindow .o-telephony-ConferenceName:contains('Pipeline review')" },
        ...["Ann Meeting", "Ben Meeting", "Cid Meeting"].map((name) => ({
            trigger: `${participant(name)} .o-telephony-ParticipantState:contains('In the conference')`,
            timeout: 20000,
        })),
        { trigger: `${participant("Ann Meeting")}.o-telephony-Talking`, timeout: 20000 },
        { trigger: `${participant("Ben Meeting")}.o-telephony-Talking`, timeout: 20000 },
        { trigger: `${participant("Ann Meeting")}:not(.o-telephony-Talking)` },
        { trigger: `${participant("Ben Meeting")} .o-telephony-Mute`, run: "click" },
        { trigger: `${participant("Ben Meeting")} .o-telephony-MutedMark`, timeout: 20000 },
        { trigger: `${participant("Ben Meeting")}:not(.o-telephony-Talking)` },
        { trigger: `${participant("Cid Meeting")} .o-telephony-Remove`, run: "click" },
        { trigger: `${participant("Cid Meeting")} .o-telephony-ParticipantState:contains('Left')`, timeout: 20000 },
        { trigger: ".o-telephony-ConferenceWindow .o-telephony-Add", run: "click" },
        { trigger: ".o-telephony-AddNumber", run: "edit 7104" },
        { trigger: ".o-telephony-AddConfirm", run: "click" },
        {
            trigger: `${participant("Dee Meeting")} .o-telephony-ParticipantState:contains('In the conference')`,
            timeout: 20000,
        },
        { trigger: ".o-telephony-ConferenceWindow .o-telephony-MuteMyself", run: "click" },
        { trigger: ".o-telephony-ConferenceWindow .o-telephony-MuteMyself:contains('Unmute me')", timeout: 20000 },
        { trigger: ".o-telephony-ConferenceWindow .o-telephony-Leave", run: "click" },
        { trigger: ".o-telephony-ConferenceWindow:not(:has(.o-telephony-Leave))", timeout: 20000 },
    ],
});
