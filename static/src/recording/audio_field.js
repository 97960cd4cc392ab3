import { Component } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { standardFieldProps } from "@web/views/fields/standard_field_props";
import { TelephonyRecordingPlayer } from "./recording_player";

/** The player of a stored recording, on the call form. */
export class TelephonyAudioField extends Component {
    static template = "telephony.AudioField";
    static components = { TelephonyRecordingPlayer };
    static props = { ...standardFieldProps };

    get url() {
        return this.props.record.data[this.props.name];
    }
}

registry.category("fields").add("telephony_audio", {
    component: TelephonyAudioField,
    displayName: _t("Call recording player"),
    supportedTypes: ["char"],
});
