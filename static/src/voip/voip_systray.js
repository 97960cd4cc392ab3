import { Component, onWillUnmount, useEffect, useState } from "@odoo/owl";
import { Dropdown } from "@web/core/dropdown/dropdown";
import { useDropdownState } from "@web/core/dropdown/dropdown_hooks";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { deserializeDate, deserializeDateTime, formatDate } from "@web/core/l10n/dates";
import { useService } from "@web/core/utils/hooks";
import { user } from "@web/core/user";
import { TelephonyNumberInput } from "../number_input/number_input";
import { TelephonyRecordingPlayer } from "../recording/recording_player";
import { elapsedSeconds, formatCallMoment, formatSeconds } from "../utils/formatters";
import { CallControls, handedOverStatus } from "./call_controls";

const { DateTime } = luxon;
const KEYS = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "0", "#"];

export class VoipSystray extends Component {
    static components = { Dropdown, TelephonyNumberInput, CallControls, TelephonyRecordingPlayer };
    static props = [];
    static template = "telephony.VoipSystray";

    setup() {
        this.telephony = useService("telephony");
        this.softphone = useState(useService("telephony_softphone").state);
        this.softphoneService = useService("telephony_softphone");
        this.action = useService("action");
        this.orm = useService("orm");
        this.state = useState(this.telephony.state);
        this.ui = useState({ number: "", now: Date.now() });
        this.dropdown = useDropdownState();
        this.keys = KEYS;
        this.formatCallMoment = formatCallMoment;
        const timer = setInterval(() => this.tick(), 1000);
        onWillUnmount(() => clearInterval(timer));
        // A call answered in the browser's popup shows in the panel, with its controls.
        useEffect(
            (inCall) => inCall && this.dropdown.open(),
            () => [this.softphone.inCall]
        );
        // A call ringing me opens the panel on its card; cards shown before this widget mounted do not.
        let cardsSeen = this.state.cardCount || 0;
        useEffect(
            (cardCount) => {
                if (cardCount > cardsSeen && this.state.card?.direction === "inbound") {
                    this.dropdown.open();
                }
                cardsSeen = cardCount;
            },
            () => [this.state.cardCount]
        );
        let panelRequestsSeen = this.state.panelRequests || 0;
        useEffect(
            (panelRequests) => {
                if (panelRequests > panelRequestsSeen) {
                    this.dropdown.open();
                }
                panelRequestsSeen = panelRequests;
            },
            () => [this.state.panelRequests]
        );
    }

    get card() {
        const card = this.state.card;
        return card && this.call && card.call_id === this.call.id ? card : null;
    }

    /**
     * A room that asks for a code: the call stays "ringing" until the code lets me in (a wrong code
     * is asked again), then it is answered.
     */
    get showsAccessCodeHint() {
        const call = this.call;
        return Boolean(call && this.telephony.isLive(call) && call.access_code_required && call.state === "ringing");
    }

    get cardPartner() {
        return this.card?.partners.find((partner) => partner.id === this.card.partner_id);
    }

    openContact(partnerId) {
        this.dropdown.close();
        this.telephony.openContact(partnerId);
    }

    openTimeline() {
        this.dropdown.close();
        const card = this.card;
        if (this.cardPartner) {
            this.telephony.openTimeline({ partner_id: this.cardPartner.id }, this.cardPartner.name);
        } else {
            this.telephony.openTimeline({ number: card.number }, card.number_international);
        }
    }

    newContact() {
        this.dropdown.close();
        this.telephony.newContact(this.card.number);
    }

    linkNumber() {
        this.dropdown.close();
        this.telephony.linkNumber(this.card.number);
    }

    tick() {
        this.ui.now = Date.now();
        // The bus pushes every change of the call; while one is live, also ask every few seconds,
        // so a dropped bus connection never leaves a stale call on screen.
        if (this.isLive && this.dropdown.isOpen && Math.floor(this.ui.now / 1000) % 3 === 0) {
            this.telephony.load();
        }
    }

    get call() {
        return this.state.call;
    }

    get isLive() {
        return this.softphone.inCall || Boolean(this.call && this.telephony.isLive(this.call));
    }

    /** The browser phone's connection, for the line at the top of the panel. */
    get softphoneStatus() {
        const labels = {
            connecting: _t("Browser phone: connecting…"),
            registered: _t("Browser phone: ready"),
            offline: _t("Browser phone: offline"),
            refused: _t("Browser phone: refused by the PBX"),
        };
        return labels[this.softphone.status] || "";
    }

    get muteLabel() {
        return this.softphone.muted ? _t("Unmute my microphone") : _t("Mute my microphone");
    }

    toggleMute() {
        this.softphoneService.setMuted(!this.softphone.muted);
    }

    get callStatus() {
        if (!this.call || (this.softphone.inCall && !this.telephony.isLive(this.call))) {
            // The browser's call has not reached the journal yet.
            return this.softphone.inCall ? _t("Calling…") : "";
        }
        const handedOver = handedOverStatus(this.call, user.userId);
        if (handedOver) {
            return handedOver;
        }
        if (this.call.end_date) {
            const labels = {
                answered: _t("Ended"),
                missed: _t("No answer"),
                busy: _t("Busy"),
                failed: _t("Failed"),
                rejected: _t("Refused: wrong access code"),
            };
            return labels[this.call.state] || _t("Ended");
        }
        if (this.call.state === "answered") {
            return _t("Connected %(duration)s", { duration: this.formatRunningTime(this.call.answer_date) });
        }
        const other = this.call.contact_name || this.call.number_display;
        if (this.call.direction === "inbound") {
            return _t("Incoming call from %(number)s", { number: other || this.call.caller_number });
        }
        return _t("Calling %(number)s…", { number: other || this.call.called_number });
    }

    /** How long the call has been connected, ticking with ``ui.now``. */
    formatRunningTime(since) {
        if (!since) {
            return "";
        }
        return formatSeconds(elapsedSeconds(deserializeDateTime(since), DateTime.fromMillis(this.ui.now)));
    }

    async onBeforeOpen() {
        await this.telephony.load();
        // The contact may have been created or linked since the card was drawn.
        await this.telephony.refreshCard();
    }

    pressKey(key) {
        if (this.isLive) {
            this.telephony.sendDtmf(key);
        } else {
            this.ui.number += key;
        }
    }

    deleteKey() {
        this.ui.number = this.ui.number.slice(0, -1);
    }

    async callNumber() {
        const number = this.ui.number.trim();
        if (number && (await this.telephony.dial(number))) {
            this.ui.number = "";
        }
    }

    hangUp() {
        this.telephony.hangUp();
    }

    setNumber(number) {
        this.ui.number = number;
    }

    onKeydown(ev) {
        if (ev.key === "Escape") {
            this.dropdown.close();
        } else if (this.isLive && KEYS.includes(ev.key) && ev.target.tagName !== "INPUT") {
            ev.preventDefault();
            this.telephony.sendDtmf(ev.key);
        }
    }

    stateLabel(call) {
        const labels = {
            ringing: _t("Ringing"),
            answered: _t("Answered"),
            missed: _t("Missed"),
            busy: _t("Busy"),
            failed: _t("Failed"),
            rejected: _t("Wrong access code"),
        };
        return labels[call.state] || call.state;
    }

    /** The values that are set, as one line ("Sales · Azure Interior"). */
    joinShown(values) {
        return values.filter(Boolean).join(" · ");
    }

    /** An activity's deadline is a day, in the user's date format (as the chatter's activities show it). */
    formatDeadline(value) {
        return formatDate(deserializeDate(value));
    }

    async redial(call) {
        if (!this.isLive) {
            await this.telephony.dial(call.number_display);
        }
    }

    /** What "My Profile" in the user menu opens (the employee profile with hr), on its Telephony tab. */
    async openPreferences() {
        this.dropdown.close();
        const action = await this.orm.call("res.users", "action_get");
        await this.action.doAction({ ...action, res_id: user.userId });
    }
}

registry.category("systray").add("telephony.VoipSystray", { Component: VoipSystray }, { sequence: 95 });
