import { registry } from "@web/core/registry";

/**
 * From an existing PBX's form, "New", fill the form in and press "Test Connection" before saving:
 * the button saves the new PBX, the test fails (nothing listens there), and the form must still show
 * the new PBX, so that the next change and Save go into it and not into the PBX shown before.
 */
registry.category("web_tour.tours").add("telephony_pbx_test_connection_tour", {
    steps: () => [
        { trigger: ".o_form_view .o_field_widget[name='name'] input:value('Existing PBX')" },
        { trigger: ".o_form_button_create", run: "click" },
        { trigger: ".o_breadcrumb .active:contains('New')" },
        { trigger: ".o_form_view .o_field_widget[name='name'] input", run: "edit New Tour PBX" },
        { trigger: ".o_form_view .o_field_widget[name='ari_url'] input", run: "edit http://127.0.0.1:9" },
        { trigger: ".o_form_view button[name='action_test_connection']", run: "click" },
        { trigger: ".o_notification:contains('Connection failed')" },
        { trigger: ".o_form_view .o_form_saved" },
        { trigger: ".o_breadcrumb:contains('New Tour PBX')" },
        { trigger: ".o_form_view .o_field_widget[name='name'] input:value('New Tour PBX')" },
        { trigger: ".o_form_view .o_field_widget[name='ari_app'] input", run: "edit tour_app" },
        { trigger: ".o_form_button_save", run: "click" },
        { trigger: ".o_form_view .o_form_saved" },
    ],
});
