import { registry } from "@web/core/registry";

/** The widget, opened by a call placed from the page, follows it to its end. */
function followCallTo(name) {
    return [
        { trigger: `.o-telephony-CallStatus:contains('Calling ${name}')` },
        { trigger: ".o-telephony-CallStatus:contains('Connected')", timeout: 20000 },
        { trigger: ".o-telephony-HangUp", run: "click" },
        { trigger: ".o-telephony-CallStatus:contains('Ended')", timeout: 20000 },
    ];
}

/**
 * A contact's form: the phone field's Call (shown on hover or focus, as Odoo's own) dials through the
 * widget instead of following a tel: link; the widget opens on the call.
 */
registry.category("web_tour.tours").add("telephony_click_to_dial_tour", {
    steps: () => [
        { trigger: ".o_form_view .o_field_widget[name='name'] input:value('Dial Client')" },
        { trigger: ".o_field_widget[name='phone']:not(:has(a[href^='tel:']))" },
        { trigger: ".o_field_widget[name='phone'] input", run: "click" },
        { trigger: ".o_field_widget[name='phone'] .o-telephony-ClickToDial:contains('Call')", run: "click" },
        ...followCallTo("Dial Client"),
    ],
});

/** A "Call back" activity in the contact's chatter: Call dials the number that called; the activity stays. */
registry.category("web_tour.tours").add("telephony_activity_call_tour", {
    steps: () => [
        { trigger: ".o-mail-Activity:contains('Call back +33 6 12 34 00 43') .o-telephony-ActivityCall", run: "click" },
        ...followCallTo("Activity Client"),
        { trigger: ".o-mail-Activity:contains('Call back +33 6 12 34 00 43') .o-mail-Activity-markDone" },
    ],
});
