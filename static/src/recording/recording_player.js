import { Component } from "@odoo/owl";

/**
 * A call recording's player: the browser's own audio controls on the recording's URL (served with HTTP Range,
 * so the player seeks), and a download link. Nothing is loaded until the user presses play. The server decides
 * who gets a URL at all (the call's own users and telephony managers) and logs each playback on the call.
 */
export class TelephonyRecordingPlayer extends Component {
    static template = "telephony.RecordingPlayer";
    static props = { url: String, compact: { type: Boolean, optional: true } };

    get downloadUrl() {
        return `${this.props.url}?download=1`;
    }
}
