import { reactive } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";

const LIVE_STATES = ["ringing", "answered"];

/**
 * Holds the current user's call state for the VoIP widget and follows it on the bus
 * ("telephony/call" notifications sent by the PBX listener).
 */
export const telephonyService = {
    dependencies: ["bus_service", "orm", "notification"],
    start(env, { bus_service: bus, orm, notification }) {
        const state = reactive({
            loaded: false,
            enabled: false,
            extension: "",
            call: null,
            recentCalls: [],
        });

        function showError(error) {
            const message = error?.data?.message || error?.message || String(error);
            notification.add(message, { type: "danger", title: _t("Telephony") });
        }

        async function load() {
            const data = await orm.call("telephony.call", "telephony_widget_data", []);
            const current = state.call && [data.live_call, ...data.recent_calls].find((c) => c?.id === state.call.id);
            Object.assign(state, {
                loaded: true,
                enabled: data.enabled,
                extension: data.extension,
                call: data.live_call || current || state.call,
                recentCalls: data.recent_calls,
            });
        }

        async function dial(number) {
            try {
                state.call = await orm.call("telephony.call", "action_dial", [number]);
            } catch (error) {
                showError(error);
                return false;
            }
            return true;
        }

        async function sendDtmf(digits) {
            if (!state.call || !isLive(state.call)) {
                return;
            }
            try {
                await orm.call("telephony.call", "action_send_dtmf", [[state.call.id], digits]);
            } catch (error) {
                showError(error);
            }
        }

        async function hangUp() {
            if (!state.call) {
                return;
            }
            try {
                await orm.call("telephony.call", "action_hang_up", [[state.call.id]]);
            } catch (error) {
                showError(error);
            }
        }

        function isLive(call) {
            return LIVE_STATES.includes(call.state) && !call.end_date;
        }

        bus.subscribe("telephony/call", (payload) => {
            if (!state.call || state.call.id === payload.id || !isLive(state.call)) {
                state.call = payload;
            }
            if (payload.end_date) {
                state.recentCalls = [payload, ...state.recentCalls.filter((c) => c.id !== payload.id)].slice(0, 8);
            }
        });
        bus.start();

        return { state, load, dial, sendDtmf, hangUp, isLive };
    },
};

registry.category("services").add("telephony", telephonyService);
