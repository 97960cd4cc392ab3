import { registry } from "@web/core/registry";

/**
 * The whole addon in the user's language: the Telephony menus, a conference form, the dashboard, the VoIP
 * widget and a meeting's conference window. Every step finds its way by classes and menu ids, never by text,
 * and each screen is checked for any of the addon's English terms. The test (tests/test_translations.py) puts
 * them in `window.telephonyTour`: `terms`, pairs of [pattern, English term] for the terms whose translation
 * differs from the English, and `meetingActionId`, the Employees list's "Meeting" button.
 */
// What OWL translates: a static aria-label never is (Odoo's own systray keeps "Activities" and "Messages"), so the
// static checks refuse one in this addon's templates.
const CHECKED_ATTRIBUTES = ["title", "placeholder", "data-tooltip"];

// Stored content, written in the language of whoever wrote it ("Conference Room created" by an English admin).
const STORED_CONTENT = "script, style, .o-mail-Message-body";

function shownTexts(root) {
    const texts = [];
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
        const parent = walker.currentNode.parentElement;
        if (parent && parent.getClientRects().length && !parent.closest(STORED_CONTENT)) {
            texts.push(walker.currentNode.nodeValue);
        }
    }
    for (const element of root.querySelectorAll("*")) {
        if (element.getClientRects().length) {
            texts.push(...CHECKED_ATTRIBUTES.map((name) => element.getAttribute(name)).filter(Boolean));
        }
    }
    return texts.map((text) => text.replace(/\s+/g, " ").trim()).filter((text) => /\p{L}/u.test(text));
}

function englishIn(selector) {
    const patterns = window.telephonyTour.terms.map(([pattern, term]) => [new RegExp(pattern), term]);
    const found = new Set();
    for (const root of document.querySelectorAll(selector)) {
        for (const text of shownTexts(root)) {
            for (const [pattern, term] of patterns) {
                if (pattern.test(text)) {
                    found.add(`"${term}" in "${text}"`);
                }
            }
        }
    }
    return [...found];
}

/** A step that fails the tour, naming every English term it finds in what `selector` shows. */
function noEnglishIn(selector, where) {
    return {
        trigger: selector,
        run() {
            const english = englishIn(selector);
            if (english.length) {
                throw new Error(`English left in ${where}: ${english.join("; ")}`);
            }
        },
    };
}

const MAIN = ".o_main_navbar, .o_action_manager";

/** Leave a mark on the current screen, so that the next step waits for the one the click opens. */
function markCurrentScreen() {
    return {
        trigger: ".o_action_manager > .o_action",
        run() {
            document.querySelector(".o_action_manager > .o_action").classList.add("o-telephony-TourSeen");
        },
    };
}

const NEW_SCREEN = ".o_action_manager > .o_action:not(.o-telephony-TourSeen)";
const LOADED = [
    `${NEW_SCREEN}.o_view_controller`,
    `${NEW_SCREEN} .o_view_controller`,
    `${NEW_SCREEN}.o-telephony-Dashboard:has(.o-telephony-Kpi)`,
    `${NEW_SCREEN}.o-telephony-LiveCalls`,
].join(", ");

function openSection(xmlid, where, { inConfiguration = false } = {}) {
    return [
        markCurrentScreen(),
        ...(inConfiguration
            ? [{ trigger: ".o_menu_sections [data-menu-xmlid='telephony.telephony_menu_configuration']", run: "click" }]
            : []),
        { trigger: `[data-menu-xmlid='telephony.${xmlid}']`, run: "click" },
        { trigger: LOADED },
        noEnglishIn(MAIN, where),
    ];
}

registry.category("web_tour.tours").add("telephony_language_tour", {
    steps: () => [
        { trigger: ".o_navbar_apps_menu button", run: "click" },
        { trigger: ".o_app[data-menu-xmlid='telephony.telephony_menu_root']", run: "click" },
        { trigger: ".o_action_manager .o_view_controller" },
        noEnglishIn(MAIN, "the Telephony app"),
        ...openSection("telephony_menu_calls", "the call journal"),
        { trigger: ".o_list_view .o_data_row .o_data_cell", run: "click" },
        { trigger: ".o_form_view .o_form_sheet" },
        noEnglishIn(MAIN, "a call's form"),
        ...openSection("telephony_menu_recordings", "Recordings"),
        ...openSection("telephony_menu_conferences", "Conferences"),
        { trigger: ".o_list_view .o_data_row .o_data_cell", run: "click" },
        { trigger: ".o_form_view .o_form_sheet" },
        noEnglishIn(MAIN, "a conference's form"),
        ...openSection("telephony_menu_live_calls", "Live Calls"),
        ...openSection("telephony_menu_statistics", "the dashboard"),
        { trigger: ".o-telephony-Dashboard button[data-period='custom']", run: "click" },
        { trigger: ".o-telephony-DateFrom" },
        noEnglishIn(MAIN, "the dashboard's custom period"),
        ...openSection("telephony_menu_pbx", "the PBX list", { inConfiguration: true }),
        { trigger: ".o_list_view .o_data_row .o_data_cell", run: "click" },
        { trigger: ".o_form_view .o_form_sheet" },
        noEnglishIn(MAIN, "the PBX form"),
        ...openSection("telephony_menu_incoming_numbers", "Incoming Numbers", { inConfiguration: true }),
        ...openSection("telephony_menu_participants", "Participants", { inConfiguration: true }),
        ...openSection("telephony_menu_users", "Users' Settings", { inConfiguration: true }),
        // The VoIP widget, with the suggestions of a number being typed.
        { trigger: ".o-telephony-VoipSystray", run: "click" },
        { trigger: ".o-telephony-Voip" },
        noEnglishIn(".o-telephony-Voip, .o-telephony-VoipSystray", "the VoIP widget"),
        { trigger: ".o-telephony-Number", run: "edit 780" },
        { trigger: ".o-telephony-Suggestion" },
        noEnglishIn(".o-telephony-Voip", "the widget's suggestions"),
        { trigger: ".o-telephony-VoipSystray", run: "click" },
        // A meeting from the Employees list, and its live conference window.
        { trigger: ".o_navbar_apps_menu button", run: "click" },
        { trigger: ".o_app[data-menu-xmlid='hr.menu_hr_root']", run: "click" },
        { trigger: ".o_switch_view.o_list", run: "click" },
        { trigger: ".o_list_view .o_data_row" },
        ...[1, 2].map((index) => ({
            trigger: `.o_data_row:nth-child(${index}) .o_list_record_selector input`,
            run: "click",
        })),
        {
            trigger: ".o_control_panel button[name]",
            run() {
                document.querySelector(`.o_control_panel button[name='${window.telephonyTour.meetingActionId}']`).click();
            },
        },
        { trigger: ".modal .o_field_widget[name='name'] input", run: "edit Revue" },
        noEnglishIn(".modal", "the meeting wizard"),
        { trigger: ".modal .modal-footer .btn-primary", run: "click" },
        { trigger: ".o-telephony-ConferenceWindow .o-telephony-Participant[data-state='joined'] .o-telephony-Mute", timeout: 20000 },
        { trigger: ".o-telephony-ConferenceWindow .o-telephony-Add", run: "click" },
        { trigger: ".o-telephony-AddNumber" },
        noEnglishIn(".o-telephony-ConferenceWindow", "the conference window"),
        { trigger: ".o-telephony-ConferenceWindow .o-telephony-Leave", run: "click" },
        { trigger: ".o-telephony-ConferenceWindow:not(:has(.o-telephony-Leave))", timeout: 20000 },
        noEnglishIn(".o-telephony-ConferenceWindow", "the conference window after leaving"),
    ],
});
