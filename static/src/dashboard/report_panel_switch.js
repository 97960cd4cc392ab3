import { Component } from "@odoo/owl";
import { DropdownItem } from "@web/core/dropdown/dropdown_item";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { STATIC_ACTIONS_GROUP_NUMBER } from "@web/search/action_menus/action_menus";

/** In the report panel's gear menu: the way back to the simplified dashboard. */
export class TelephonyOpenDashboard extends Component {
    static template = "telephony.OpenDashboard";
    static components = { DropdownItem };
    static props = {};

    setup() {
        this.action = useService("action");
    }

    openDashboard() {
        this.action.doAction("telephony.telephony_dashboard_action");
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
