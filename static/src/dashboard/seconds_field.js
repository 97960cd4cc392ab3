import { Component } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { standardFieldProps } from "@web/views/fields/standard_field_props";
import { formatSeconds } from "../utils/formatters";

/** A read-only integer field holding seconds, in lists and forms: read raw, 1159 looks like a count. */
export class TelephonySecondsField extends Component {
    static template = "telephony.SecondsField";
    static props = { ...standardFieldProps };

    get formattedValue() {
        return formatSeconds(this.props.record.data[this.props.name]);
    }
}

registry.category("fields").add("telephony_seconds", {
    component: TelephonySecondsField,
    displayName: _t("Duration in seconds"),
    supportedTypes: ["integer"],
});
// The pivot formats its measures with the formatter named by the measure's widget.
registry.category("formatters").add("telephony_seconds", formatSeconds);
