import { Component, onWillStart, onWillUnmount, useState, useSubEnv } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { KeepLast } from "@web/core/utils/concurrency";
import { useService } from "@web/core/utils/hooks";
import { useSetupAction } from "@web/search/action_hook";
import { Layout } from "@web/search/layout";
import { getDefaultConfig } from "@web/views/view";
import { standardActionServiceProps } from "@web/webclient/actions/action_service";
import { elapsedSeconds, formatSeconds } from "../utils/formatters";

const { DateTime } = luxon;
export const LIVE_CALLS_NOTIFICATION = "telephony/live_calls";
const TICK_MS = 1000;
// The bus pushes every change; the board also asks now and then, so a dropped bus connection never leaves a
// call that ended, or a supervision that started, stale on screen.
const REFRESH_MS = 5000;

/**
 * The live calls of the manager's companies, redrawn whenever the PBX reports a change (bus), with
 * Listen, Whisper and Barge on each call: the manager's phone rings, and answering it joins the call
 * in that mode. A mode chosen while already supervising the call switches the same phone call.
 */
export class TelephonyLiveCalls extends Component {
    static components = { Layout };
    static props = { ...standardActionServiceProps };
    static template = "telephony.LiveCalls";

    setup() {
        useSubEnv({ config: { ...getDefaultConfig(), ...this.env.config } });
        useSetupAction();
        this.orm = useService("orm");
        this.notification = useService("notification");
        this.bus = useService("bus_service");
        this.modes = [
            { key: "listen", label: _t("Listen"), icon: "fa-headphones", help: _t("Hear the call; nobody hears you") },
            { key: "whisper", label: _t("Whisper"), icon: "fa-commenting", help: _t("Only your colleague hears you") },
            { key: "barge", label: _t("Barge"), icon: "fa-sign-in", help: _t("Join the call: everyone hears you") },
        ];
        this.directionLabels = { inbound: _t("Inbound"), outbound: _t("Outbound"), internal: _t("Internal") };
        this.keepLast = new KeepLast();
        this.state = useState({ calls: [], loaded: false, now: DateTime.utc(), busy: {} });
        const refresh = () => this.load();
        this.bus.subscribe(LIVE_CALLS_NOTIFICATION, refresh);
        this.bus.start();
        const ticker = setInterval(() => (this.state.now = DateTime.utc()), TICK_MS);
        const refresher = setInterval(refresh, REFRESH_MS);
        onWillStart(() => this.load());
        onWillUnmount(() => {
            clearInterval(ticker);
            clearInterval(refresher);
            this.bus.unsubscribe(LIVE_CALLS_NOTIFICATION, refresh);
        });
    }

    async load() {
        this.state.calls = await this.keepLast.add(this.orm.call("telephony.call", "telephony_live_calls", []));
        this.state.loaded = true;
    }

    /** How long the call has been going (answered, or ringing), from its ISO UTC start to now. */
    duration(call) {
        return formatSeconds(elapsedSeconds(DateTime.fromISO(call.answer_date || call.start_date), this.state.now));
    }

    async supervise(call, mode) {
        this.state.busy[call.id] = true;
        try {
            await this.orm.call("telephony.call", "action_supervise", [[call.id], mode]);
            this.notification.add(
                call.my_mode
                    ? _t("Switching to %(mode)s.", { mode: this.modeLabel(mode) })
                    : _t("Your phone rings: answer it to %(mode)s.", { mode: this.modeLabel(mode).toLowerCase() }),
                { type: "info" }
            );
        } catch (error) {
            // The server's refusal (excluded user, no phone, call ended) is the message to show.
            this.notification.add(error.data?.message || error.message, { type: "danger" });
        } finally {
            delete this.state.busy[call.id];
        }
        await this.load();
    }

    modeLabel(key) {
        return this.modes.find((mode) => mode.key === key)?.label || key;
    }
}

registry.category("actions").add("telephony_live_calls", TelephonyLiveCalls);
