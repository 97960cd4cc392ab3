import { Component } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { standardFieldProps } from "@web/views/fields/standard_field_props";

/**
 * A call recording's player: the browser's own audio controls on the recording's URL (served with HTTP Range,
 * so the player seeks), and a download link. Nothing is loaded until the user presses play.
 */
export class TelephonyAudioField extends Component {
    static template = "telephony.AudioField";
    static props = { ...standardFieldProps };

    get url() {
        return this.props.record.data[this.props.name];
    }

    get downloadUrl() {
        return `${this.url}?download=1`;
    }
}

registry.category("fields").add("telephony_audio", {
    component: TelephonyAudioField,
    displayName: _t("Call recording player"),
    supportedTypes: ["char"],
});
