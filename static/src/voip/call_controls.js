import { Component, onWillUnmount, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { user } from "@web/core/user";
import { useService } from "@web/core/utils/hooks";
import { TelephonyNumberInput } from "../number_input/number_input";

const HANDED_OVER_POLL_MS = 3000;

/** Whom a call was (or is being) transferred to, as people read it. */
function transferTarget(call) {
    return call.transfer_name || call.transfer_number;
}

/**
 * What the status line says of a call the user handed over by a transfer (it goes on without them),
 * or "" for any other call.
 */
export function handedOverStatus(call, userId) {
    if (!call || call.transferred_by_id !== userId) {
        return "";
    }
    if (call.transfer_state === "ringing" && !call.end_date) {
        return _t("Transferring to %(target)s…", { target: transferTarget(call) });
    }
    if (call.transfer_state === "answered") {
        return _t("Transferred to %(target)s", { target: transferTarget(call) });
    }
    return "";
}

/**
 * Hold, resume and transfer the current call, for desk phones as for any phone: the PBX does it (see
 * telephony.call's action_hold and action_transfer). Transfer opens a small form: "Transfer" hands the call
 * over at once, "Consult" calls the target first while the other party waits on hold, then "Complete" or
 * "Cancel".
 */
export class CallControls extends Component {
    static components = { TelephonyNumberInput };
    static props = { call: Object };
    static template = "telephony.CallControls";

    setup() {
        this.telephony = useService("telephony");
        this.ui = useState({ open: false, target: "", busy: false });
        // The systray asks for news of live calls only; one I handed over is asked for until its target answers,
        // so a dropped bus connection never leaves "Transferring…" on screen.
        const timer = setInterval(() => {
            if (this.call.transfer_state === "ringing" && handedOverStatus(this.call, user.userId)) {
                this.telephony.load();
            }
        }, HANDED_OVER_POLL_MS);
        onWillUnmount(() => clearInterval(timer));
    }

    get call() {
        return this.props.call;
    }

    /**
     * A two-party call I am on, connected: what hold and transfer are for. Not while a transfer's target (or
     * the transferring user, rung back) still rings: nobody talks to the other party then.
     */
    get connected() {
        const call = this.call;
        const ringing = ["ringing", "failed"].includes(call.transfer_state);
        return call.state === "answered" && !call.conference_id && !ringing && this.telephony.isLive(call);
    }

    get consulting() {
        return this.call.transfer_state === "consulting";
    }

    get consultAnswered() {
        const consult = this.call.consult;
        return Boolean(consult && consult.state === "answered" && !consult.end_date);
    }

    /** What the transfer in progress means for me, if I am the one transferring or the one it goes to. */
    get note() {
        const call = this.call;
        const target = transferTarget(call);
        const name = call.transferred_by_name;
        if (call.transferred_by_id === user.userId) {
            if (this.consulting) {
                return this.consultAnswered
                    ? _t("Talking to %(target)s: %(name)s is on hold.", { target, name: this.otherName })
                    : _t("Calling %(target)s… %(name)s is on hold.", { target, name: this.otherName });
            }
            if (call.transfer_state === "failed") {
                return _t("The transfer to %(target)s failed: your phone rings to take the call back.", { target });
            }
            if (call.transfer_state === "returned") {
                return _t("The transfer to %(target)s failed: you took the call back.", { target });
            }
        } else if (call.transfer_user_id === user.userId && name) {
            if (call.transfer_state === "ringing") {
                return _t("Transferred by %(name)s: your phone rings.", { name });
            }
            if (call.transfer_state === "answered") {
                return _t("Transferred by %(name)s", { name });
            }
        }
        return "";
    }

    get otherName() {
        return this.call.contact_name || this.call.number_display || _t("the other party");
    }

    async run(action) {
        if (this.ui.busy) {
            return false;
        }
        this.ui.busy = true;
        try {
            return await action();
        } finally {
            this.ui.busy = false;
        }
    }

    toggleHold() {
        return this.run(() => (this.call.on_hold ? this.telephony.resume() : this.telephony.hold()));
    }

    toggleForm() {
        this.ui.open = !this.ui.open;
    }

    setTarget(target) {
        this.ui.target = target;
    }

    async transfer(attended = false) {
        const target = this.ui.target.trim();
        if (!target) {
            return;
        }
        if (await this.run(() => this.telephony.transfer(target, attended))) {
            Object.assign(this.ui, { open: false, target: "" });
        }
    }

    complete() {
        return this.run(() => this.telephony.completeTransfer());
    }

    toggleRecording() {
        return this.run(() =>
            this.call.recording ? this.telephony.stopRecording() : this.telephony.startRecording()
        );
    }

    cancel() {
        return this.run(() => this.telephony.cancelTransfer());
    }
}
