import { registry } from "@web/core/registry";

/**
 * A telephony user who moderates no room sees no "Invite", neither on the list nor on the form; the
 * test opens the rooms list.
 */
registry.category("web_tour.tours").add("telephony_room_invite_hidden_tour", {
    steps: () => [
        { trigger: ".o_list_view .o_data_row:contains('Widget room')" },
        {
            trigger: ".o_list_view",
            run() {
                const buttons = [...document.querySelectorAll(".o_list_view .o_data_row button")];
                if (buttons.some((button) => `${button.textContent} ${button.title}`.includes("Invite"))) {
                    throw new Error("the rooms list offers Invite to a user who may not invite");
                }
            },
        },
        { trigger: ".o_data_row:contains('Widget room') .o_data_cell", run: "click" },
        { trigger: ".o_form_view .o_field_widget[name='name'] input:value('Widget room')" },
        {
            trigger: ".o_form_view .o_form_statusbar",
            run() {
                const invite = [...document.querySelectorAll(".o_form_statusbar button")].find((button) =>
                    button.textContent.includes("Invite")
                );
                if (invite) {
                    throw new Error("the room's form offers Invite to a user who may not invite");
                }
            },
        },
    ],
});
