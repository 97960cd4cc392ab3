import { Component, onWillUnmount, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { TelephonyNumberInput } from "../number_input/number_input";

const LIVE = ["calling", "ringing", "waiting", "joined"];

/** One conference: who is in, who talks (green border), and what I may do about it (seed 000). */
export class ConferenceWindow extends Component {
    static components = { TelephonyNumberInput };
    static props = ["conference"];
    static template = "telephony.ConferenceWindow";

    setup() {
        this.telephony = useService("telephony");
        this.state = useState(this.telephony.state);
        this.ui = useState({ number: "", adding: false });
    }

    get conference() {
        return this.props.conference;
    }

    get canModerate() {
        const userId = this.state.userId;
        return this.state.isManager || [this.conference.creator_id, this.conference.administrator_id].includes(userId);
    }

    get me() {
        return this.conference.participants.find((p) => p.user_id === this.state.userId && LIVE.includes(p.state));
    }

    /**
     * Everyone once, me included and with the same rule: whoever left shows "Left", unless they are
     * back in the conference (then only their live row shows).
     */
    get participants() {
        const back = new Set(
            this.conference.participants.filter((p) => this.isLive(p)).map((p) => this.personKey(p))
        );
        return this.conference.participants.filter((p) => this.isLive(p) || !back.has(this.personKey(p)));
    }

    personKey(participant) {
        return participant.user_id ? `user-${participant.user_id}` : `number-${participant.number}`;
    }

    stateLabel(participant) {
        const labels = {
            calling: _t("Calling"),
            ringing: _t("Ringing"),
            waiting: _t("Waiting for the administrator"),
            joined: _t("In the conference"),
            left: _t("Left"),
            failed: _t("Failed"),
            rejected: _t("Did not answer"),
        };
        return labels[participant.state];
    }

    /** The moderator muted me: only they can unmute me (the server refuses me too). */
    get mutedByModerator() {
        return Boolean(this.me?.muted_by_moderator && !this.canModerate);
    }

    mutedLabel(participant) {
        return participant.muted_by_moderator ? _t("Muted by the moderator") : _t("Muted");
    }

    muteTitle(participant) {
        return participant.muted ? _t("Unmute") : _t("Mute");
    }

    avatarUrl(participant) {
        return participant.partner_id
            ? `/web/image/res.partner/${participant.partner_id}/avatar_128`
            : "/web/static/img/user_placeholder.jpg";
    }

    isLive(participant) {
        return LIVE.includes(participant.state);
    }

    toggleMute(participant) {
        this.telephony.conferenceAction(this.conference.id, "action_mute", [participant.id, !participant.muted]);
    }

    remove(participant) {
        this.telephony.conferenceAction(this.conference.id, "action_kick", [participant.id]);
    }

    setNumber(number) {
        this.ui.number = number;
    }

    async addParticipant() {
        const number = this.ui.number.trim();
        if (number && (await this.telephony.conferenceAction(this.conference.id, "action_invite", [number]))) {
            Object.assign(this.ui, { number: "", adding: false });
        }
    }

    toggleMuteMyself() {
        this.telephony.participantAction(this.me.id, "action_mute_self", [!this.me.muted]);
    }

    leave() {
        this.telephony.participantAction(this.me.id, "action_leave", []);
    }

    close() {
        this.telephony.dismissConference(this.conference.id);
    }
}

/** Every conference I am in, stacked at the bottom right of the web client; survives a reload. */
export class ConferenceWindows extends Component {
    static components = { ConferenceWindow };
    static props = [];
    static template = "telephony.ConferenceWindows";

    setup() {
        this.telephony = useService("telephony");
        this.state = useState(this.telephony.state);
        // The bus pushes every change; while a window is open, also ask now and then, so a dropped
        // bus connection never leaves a stale conference on screen.
        const timer = setInterval(() => this.state.conferences.length && this.telephony.loadConferences(), 3000);
        onWillUnmount(() => clearInterval(timer));
    }
}

registry.category("main_components").add("telephony.ConferenceWindows", { Component: ConferenceWindows });
