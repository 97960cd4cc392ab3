import { registry } from "@web/core/registry";

/**
 * A number nobody has rings the user, whose setting for unknown numbers is "create a contact": the
 * widget shows the caller card and a new-contact form opens with the number, the country and the
 * city already filled; the user types a name and saves, and the card now names the caller.
 */
registry.category("web_tour.tours").add("telephony_unknown_caller_tour", {
    steps: () => [
        { trigger: ".o-telephony-CallerCard:contains('Unknown number'):contains('+33 1 42 68 53 00')" },
        { trigger: ".o_form_view .o_field_widget[name='phone'] input:value('+33 1 42 68 53 00')" },
        { trigger: ".o_form_view .o_field_widget[name='city'] input:value('Paris')" },
        { trigger: ".o_form_view .o_field_widget[name='country_id'] input:value('France')" },
        { trigger: ".o_form_view .o_field_widget[name='name'] input", run: "edit Caller From Paris" },
        { trigger: ".o_form_button_save", run: "click" },
        { trigger: ".o_breadcrumb:contains('Caller From Paris')" },
        { trigger: ".o_form_view .o_form_saved" },
        // the card follows the call's new contact
        { trigger: ".o-telephony-VoipSystray", run: "click" },
        { trigger: ".o-telephony-CallerCard .o-telephony-CallerName:contains('Caller From Paris')" },
        { trigger: ".o-telephony-CallerCard:not(:contains('Unknown number'))" },
    ],
});
