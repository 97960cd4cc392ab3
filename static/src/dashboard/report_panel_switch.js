import { Component } from "@odoo/owl";
import { DropdownItem } from "@web/core/dropdown/dropdown_item";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { STATIC_ACTIONS_GROUP_NUMBER } from "@web/search/action_menus/action_menus";

/** The URL path of the Statistics menu's action (it opens the user's report form). */
const STATISTICS_PATH = "telephony-statistics";

/**
 * The simplified dashboard and the report panel are two forms of one report: each replaces the other,
 * so no breadcrumb piles up, and each keeps the Statistics menu's URL, so that a reload finds the
 * Telephony app and its menus again (Odoo finds an app from the URL of the first action).
 */
export async function switchReportForm(actionService, xmlid) {
    const action = await actionService.loadAction(xmlid);
    return actionService.doAction({ ...action, path: STATISTICS_PATH }, { stackPosition: "replaceCurrentAction" });
}

/** In the report panel's gear menu: the way back to the simplified dashboard. */
export class TelephonyOpenDashboard extends Component {
    static template = "telephony.OpenDashboard";
    static components = { DropdownItem };
    static props = {};

    setup() {
        this.action = useService("action");
    }

    openDashboard() {
        return switchReportForm(this.action, "telephony.telephony_dashboard_action");
    }
}

registry.category("cogMenu").add(
    "telephony-open-dashboard",
    {
        Component: TelephonyOpenDashboard,
        groupNumber: STATIC_ACTIONS_GROUP_NUMBER,
        isDisplayed: ({ searchModel }) =>
            searchModel.resModel === "telephony.call" && Boolean(searchModel.globalContext.telephony_report_panel),
    },
    { sequence: 5 }
);
