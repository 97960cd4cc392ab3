import { EventBus, reactive } from "@odoo/owl";
import { browser } from "@web/core/browser/browser";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { user } from "@web/core/user";

const LIVE_STATES = ["ringing", "answered"];
const HANDED_OVER = ["ringing", "answered"];
const LIVE_PARTICIPANT_STATES = ["calling", "ringing", "waiting", "joined"];
/** The calls whose action this browser tab ran: a reload must not run it again over the page reloaded. */
const ACTED_CALLS_KEY = "telephony.actedCalls";

function actedCalls() {
    return JSON.parse(browser.sessionStorage.getItem(ACTED_CALLS_KEY) || "[]");
}

function markActed(callId) {
    const acted = [callId, ...actedCalls().filter((id) => id !== callId)].slice(0, 20);
    browser.sessionStorage.setItem(ACTED_CALLS_KEY, JSON.stringify(acted));
}

/**
 * Holds the current user's call state for the VoIP widget and follows it on the bus
 * ("telephony/call" notifications sent by the PBX listener).
 */
export const telephonyService = {
    dependencies: ["action", "bus_service", "orm", "notification", "telephony_softphone"],
    start(env, { action, bus_service: bus, orm, notification, telephony_softphone: softphone }) {
        const state = reactive({
            loaded: false,
            allowed: false,
            enabled: false,
            extension: "",
            call: null,
            recentCalls: [],
            userId: false,
            isManager: false,
            conferences: [],
            card: null,
            cardCount: 0,
            // Asked by pages that place a call (a phone field, an activity): the widget opens on it.
            panelRequests: 0,
        });
        // Every change of my calls, for the screens that show them (the timeline).
        const callUpdates = new EventBus();
        const dismissed = new Set();
        const cardedCalls = new Set();

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
            if (softphone.state.mode === "browser") {
                return dialFromBrowser(number);
            }
            try {
                state.call = await orm.call("telephony.call", "action_dial", [number]);
            } catch (error) {
                showError(error);
                return false;
            }
            showCallerCard(state.call);
            return true;
        }

        /** The browser calls the PBX itself; the call shows (with its card) once the PBX journals it. */
        async function dialFromBrowser(number) {
            try {
                const { target } = await orm.call("telephony.call", "telephony_softphone_target", [number]);
                await softphone.call(target);
            } catch (error) {
                showError(error);
                return false;
            }
            return true;
        }

        /**
         * Once per call that rings me or that I place: show who is on the other side and do what
         * my personal settings say (open the contact, the timeline, a new contact, a lead...), once:
         * after a reload, the card shows again but the page the user reloaded stays.
         */
        async function showCallerCard(call) {
            if (!call || call.end_date || cardedCalls.has(call.id)) {
                return;
            }
            cardedCalls.add(call.id);
            let card;
            try {
                card = await orm.call("telephony.call", "telephony_caller_card", [[call.id]]);
            } catch (error) {
                showError(error);
                return;
            }
            Object.assign(state, { card, cardCount: state.cardCount + 1 });
            if (card.action && !actedCalls().includes(call.id)) {
                markActed(call.id);
                await action.doAction(card.action);
            }
        }

        /** The card of the call shown again, as the server sees it now (its contact may be new). */
        async function refreshCard() {
            const card = state.card;
            if (!card) {
                return;
            }
            try {
                const fresh = await orm.call("telephony.call", "telephony_caller_card", [[card.call_id]]);
                if (state.card?.call_id === fresh.call_id) {
                    state.card = fresh;
                }
            } catch (error) {
                showError(error);
            }
        }

        function openPanel() {
            state.panelRequests++;
        }

        function openContact(partnerId) {
            return action.doAction({
                type: "ir.actions.act_window",
                res_model: "res.partner",
                res_id: partnerId,
                views: [[false, "form"]],
            });
        }

        function openTimeline(params, subject) {
            return action.doAction({
                type: "ir.actions.client",
                tag: "telephony_timeline",
                name: _t("Timeline of %(subject)s", { subject }),
                params,
            });
        }

        async function newContact(number) {
            return action.doAction(await orm.call("telephony.timeline", "action_new_contact", [number]));
        }

        function linkNumber(number, onClose) {
            return action.doAction(
                {
                    type: "ir.actions.act_window",
                    name: _t("Link %(number)s to a Contact", { number }),
                    res_model: "telephony.link.number",
                    views: [[false, "form"]],
                    target: "new",
                    context: { default_number: number },
                },
                { onClose }
            );
        }

        async function sendDtmf(digits) {
            if (softphone.hasCall && softphone.sendDtmf(digits)) {
                return;
            }
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
            if (softphone.hasCall) {
                softphone.hangUp();
                return;
            }
            if (!state.call) {
                return;
            }
            try {
                await orm.call("telephony.call", "action_hang_up", [[state.call.id]]);
            } catch (error) {
                showError(error);
            }
        }

        /** Hold and transfer of my current call: the PBX does them, and the call's changes come over the bus. */
        async function callAction(method, args = []) {
            if (!state.call) {
                return false;
            }
            try {
                await orm.call("telephony.call", method, [[state.call.id], ...args]);
            } catch (error) {
                showError(error);
                return false;
            }
            return true;
        }

        function showConference(conference) {
            const others = state.conferences.filter((c) => c.id !== conference.id);
            const live = conference.participants.some((p) => LIVE_PARTICIPANT_STATES.includes(p.state));
            state.conferences = live && !dismissed.has(conference.id) ? [...others, conference] : others;
        }

        async function loadConferences() {
            const shownIds = state.conferences.map((c) => c.id);
            const data = await orm.call("telephony.conference", "telephony_my_live_conferences", [shownIds]);
            Object.assign(state, { userId: data.user_id, isManager: data.is_manager });
            data.conferences.forEach(showConference);
        }

        async function conferenceAction(conferenceId, method, args) {
            try {
                await orm.call("telephony.conference", method, [[conferenceId], ...args]);
            } catch (error) {
                showError(error);
                return false;
            }
            await loadConferences();
            return true;
        }

        async function participantAction(participantId, method, args) {
            try {
                await orm.call("telephony.conference.participant", method, [[participantId], ...args]);
            } catch (error) {
                showError(error);
            }
            await loadConferences();
        }

        function dismissConference(conferenceId) {
            dismissed.add(conferenceId);
            state.conferences = state.conferences.filter((c) => c.id !== conferenceId);
        }

        /** Whether the call is on for me: one I transferred away goes on without me. */
        function isLive(call) {
            const handedOver = call.transferred_by_id === user.userId && HANDED_OVER.includes(call.transfer_state);
            return LIVE_STATES.includes(call.state) && !call.end_date && !handedOver;
        }

        bus.subscribe("telephony/call", (payload) => {
            if (!state.call || state.call.id === payload.id || !isLive(state.call)) {
                state.call = payload;
            }
            showCallerCard(payload);
            if (state.card?.call_id === payload.id && state.card.call_partner_id !== payload.partner_id) {
                refreshCard();
            }
            callUpdates.trigger("call", payload);
            const listed = state.recentCalls.some((c) => c.id === payload.id);
            if (listed || payload.end_date) {
                state.recentCalls = [payload, ...state.recentCalls.filter((c) => c.id !== payload.id)].slice(0, 8);
            }
        });
        bus.subscribe("telephony/conference", (conference) => {
            showConference(conference);
        });
        user.hasGroup("telephony.group_telephony_user").then((allowed) => {
            state.allowed = allowed;
            if (allowed) {
                bus.start();
                loadConferences();
                // A call ringing while the page (re)loads still shows its card.
                load().then(() => showCallerCard(state.call));
            }
        });

        return {
            state,
            callUpdates,
            load,
            dial,
            sendDtmf,
            hangUp,
            hold: () => callAction("action_hold"),
            resume: () => callAction("action_unhold"),
            transfer: (target, attended) => callAction("action_transfer", [target, attended]),
            completeTransfer: () => callAction("action_complete_transfer"),
            cancelTransfer: () => callAction("action_cancel_transfer"),
            startRecording: () => callAction("action_start_recording"),
            stopRecording: () => callAction("action_stop_recording"),
            isLive,
            loadConferences,
            showConference,
            conferenceAction,
            participantAction,
            dismissConference,
            showCallerCard,
            refreshCard,
            openPanel,
            openContact,
            openTimeline,
            newContact,
            linkNumber,
        };
    },
};

registry.category("services").add("telephony", telephonyService);

/** Returned by "Meeting": the creator's conference window opens as soon as the meeting exists. */
registry.category("actions").add("telephony_show_conference", (env, action) => {
    env.services.telephony.showConference(action.params.conference);
    return { type: "ir.actions.act_window_close" };
});
