import { registry } from "@web/core/registry";

const openStatistics = [
    { trigger: ".o_navbar_apps_menu button", run: "click" },
    { trigger: ".o_app[data-menu-xmlid='telephony.telephony_menu_root']", run: "click" },
    { trigger: ".o_menu_sections [data-menu-xmlid='telephony.telephony_menu_statistics']", run: "click" },
];

const backToDashboard = [
    { trigger: ".o_pivot_view" },
    { trigger: ".o_cp_action_menus button:has(.fa-cog)", run: "click" },
    { trigger: ".o-telephony-OpenDashboard", run: "click" },
    { trigger: ".o-telephony-Dashboard .o-telephony-Kpi-total .o-telephony-KpiValue:contains('2')" },
];

/** "Simplified" report form: the dashboard opens; a figure opens its calls; the report panel and back. */
registry.category("web_tour.tours").add("telephony_statistics_simplified_tour", {
    steps: () => [
        ...openStatistics,
        { trigger: ".o-telephony-Dashboard .o-telephony-Kpi-total .o-telephony-KpiValue:contains('2')" },
        { trigger: ".o-telephony-Kpi-missed .o-telephony-KpiValue:contains('1')", run: "click" },
        { trigger: ".o_list_view .o_data_row:contains('Missed')" },
        { trigger: ".o_list_view:not(:has(.o_data_row:contains('Answered')))" },
        { trigger: ".o_breadcrumb .o_back_button, .o_breadcrumb li:first-child a", run: "click" },
        { trigger: ".o-telephony-OpenReportPanel", run: "click" },
        ...backToDashboard,
    ],
});

/** "Report panel" report form: Odoo's pivot on the journal opens, and the dashboard is one click away. */
registry.category("web_tour.tours").add("telephony_statistics_panel_tour", {
    steps: () => [...openStatistics, ...backToDashboard],
});
