import { formatDate } from "@web/core/l10n/dates";
import { registry } from "@web/core/registry";

const { DateTime } = luxon;

const PERIOD = ".o-telephony-Dashboard .o-telephony-DashboardPeriod";
const TOTAL = ".o-telephony-Dashboard .o-telephony-Kpi-total .o-telephony-KpiValue";

const openDashboard = [
    { trigger: ".o_navbar_apps_menu button", run: "click" },
    { trigger: ".o_app[data-menu-xmlid='telephony.telephony_menu_root']", run: "click" },
    { trigger: ".o_menu_sections [data-menu-xmlid='telephony.telephony_menu_statistics']", run: "click" },
    { trigger: `${PERIOD}[data-period='month']` },
];

/** The day `daysAgo` days before today (UTC, the test users' time zone), in the user's date format. */
function formattedDay(daysAgo) {
    return formatDate(DateTime.utc().minus({ days: daysAgo }));
}

/** Types a day into one of Odoo's date inputs, as a user does, and confirms it. */
function setDate(selector, value) {
    return { trigger: `${selector} input`, run: `edit ${value} && press Enter` };
}

/**
 * Each period button, then custom dates: after each change the server's answer for exactly that
 * period must be on screen. A frozen tab never renders it, and the tour times out.
 */
function changeEveryPeriod() {
    const periodSteps = ["today", "week", "quarter", "month"].flatMap((period) => [
        { trigger: `.o-telephony-DashboardFilters button[data-period='${period}']`, run: "click" },
        { trigger: `${PERIOD}[data-period='${period}']` },
        { trigger: `.o-telephony-DashboardFilters button.btn-primary[data-period='${period}']` },
    ]);
    const [first, last] = [formattedDay(40), formattedDay(0)];
    return [
        ...periodSteps,
        { trigger: ".o-telephony-DashboardFilters button[data-period='custom']", run: "click" },
        { trigger: `${PERIOD}[data-period='custom']` },
        setDate(".o-telephony-DateFrom", first),
        { trigger: `${PERIOD}[data-period='custom']:contains('${first}')` },
        setDate(".o-telephony-DateTo", last),
        { trigger: `${PERIOD}[data-period='custom']:contains('${first}'):contains('${last}')` },
    ];
}

/** Picks the option showing `label` in the select of the step. */
function pick(label) {
    return function (helpers) {
        const option = [...this.anchor.options].find((opt) => opt.textContent.trim() === label);
        return helpers.select(option.value);
    };
}

/** A manager changes every filter, with the employee and team filters only managers have. */
registry.category("web_tour.tours").add("telephony_dashboard_filters_manager_tour", {
    steps: () => [
        ...openDashboard,
        ...changeEveryPeriod(),
        { trigger: ".o-telephony-UserFilter", run: pick("Dash Manager") },
        { trigger: `${TOTAL}:contains(/^1$/)` },
        { trigger: ".o-telephony-UserFilter", run: pick("Dash User") },
        { trigger: `${TOTAL}:contains(/^2$/)` },
        { trigger: ".o-telephony-UserFilter", run: pick("All employees") },
        { trigger: ".o-telephony-TeamFilter", run: pick("Dash Team") },
        { trigger: `${TOTAL}:contains(/^2$/)` },
        { trigger: `.o-telephony-Kpi-missed .o-telephony-KpiValue:contains(/^1$/)`, run: "click" },
        { trigger: ".o_list_view .o_data_row:contains('Dash User'):contains('Missed')" },
        { trigger: ".o_list_view:not(:has(.o_data_row:contains('Answered')))" },
    ],
});

/** A plain telephony user changes every filter they have, then opens the calls behind a figure. */
registry.category("web_tour.tours").add("telephony_dashboard_filters_user_tour", {
    steps: () => [
        ...openDashboard,
        { trigger: ".o-telephony-DashboardFilters:not(:has(.o-telephony-UserFilter, .o-telephony-TeamFilter))" },
        ...changeEveryPeriod(),
        { trigger: `${TOTAL}:contains(/^2$/)` },
        { trigger: `.o-telephony-Kpi-answered .o-telephony-KpiValue:contains(/^1$/)`, run: "click" },
        { trigger: ".o_list_view .o_data_row:contains('Answered')" },
        { trigger: ".o_list_view:not(:has(.o_data_row:contains('Missed')))" },
    ],
});

const NO_BREADCRUMB = ".o_control_panel:not(:has(.o_back_button))";
const TELEPHONY_MENUS = ".o_menu_sections [data-menu-xmlid='telephony.telephony_menu_calls']";

/**
 * The reports read as people read: dashboard and report panel replace each other (no breadcrumb
 * piling up, the Telephony menus stay), the pivot counts calls, durations read as times, and
 * numbers all have one format.
 */
registry.category("web_tour.tours").add("telephony_reports_readable_tour", {
    steps: () => [
        ...openDashboard,
        { trigger: ".o-telephony-OpenReportPanel", run: "click" },
        { trigger: ".o_pivot_view" },
        { trigger: NO_BREADCRUMB },
        { trigger: TELEPHONY_MENUS },
        { trigger: ".o_pivot thead th:contains('Count')" },
        { trigger: ".o_pivot .o_pivot_cell_value:contains('0:01:00')" },
        {
            trigger: ".o_pivot_view",
            run() {
                document.body.classList.add("o-telephony-BeforeReload");
                location.reload();
            },
        },
        // Reloaded: the Statistics menu's URL opens the user's report form, in the Telephony app.
        { trigger: `body:not(.o-telephony-BeforeReload) ${TELEPHONY_MENUS}` },
        { trigger: `${PERIOD}[data-period='month']` },
        { trigger: ".o-telephony-OpenReportPanel", run: "click" },
        { trigger: ".o_pivot_view" },
        { trigger: ".o_cp_action_menus button:has(.fa-cog)", run: "click" },
        { trigger: ".o-telephony-OpenDashboard", run: "click" },
        { trigger: `${PERIOD}[data-period='month']` },
        { trigger: NO_BREADCRUMB },
        { trigger: TELEPHONY_MENUS },
        { trigger: `.o-telephony-Kpi-answered .o-telephony-KpiValue:contains(/^1$/)`, run: "click" },
        { trigger: ".o_list_view .o_data_row:contains('+33 6 55 50 02 00'):contains('0:01:00')" },
        { trigger: ".o_list_view .o_data_row td[name='start_date']", run: "click" },
        { trigger: ".o_form_view .o_field_widget:contains('+33 6 55 50 02 00')" },
        { trigger: ".o_form_view .o_field_widget:contains('0:00:05')" },
    ],
});
