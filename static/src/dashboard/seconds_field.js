import { Component } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { formatFloatTime } from "@web/views/fields/formatters";
import { standardFieldProps } from "@web/views/fields/standard_field_props";

/**
 * The journal's durations are whole seconds; read raw, 1159 looks like a count. Shown in Odoo's time
 * format (float_time with seconds): 0:19:19.
 */
export function formatSeconds(seconds) {
    if (seconds === false || seconds === undefined) {
        return "";
    }
    return formatFloatTime(seconds / 3600, { displaySeconds: true, noLeadingZeroHour: true });
}

/** A read-only integer field holding seconds, in lists and forms. */
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
