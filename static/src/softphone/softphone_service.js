import { reactive } from "@odoo/owl";
import { browser } from "@web/core/browser/browser";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { user } from "@web/core/user";
import { Ringtone } from "./ringtone";
import { sipLibrary } from "./sip_library";

// Re-register quickly after the PBX or the network comes back: the wait doubles from 1 s up to 8 s.
const RETRY_FIRST_MS = 1000;
const RETRY_MAX_MS = 8000;
const REGISTRATION_SECONDS = 300;
const MEDIA = { sessionDescriptionHandlerOptions: { constraints: { audio: true, video: false } } };

/**
 * The browser as the user's phone (their personal setting "Phone: this browser"): a SIP user agent
 * registered to the PBX over a WebSocket, with the calls it places and receives. Desk-phone users get
 * mode "desk" and nothing else happens here.
 */
export const softphoneService = {
    dependencies: ["orm", "bus_service"],
    start(env, { orm, bus_service: bus }) {
        const state = reactive({
            mode: "desk",
            status: "off", // off, connecting, registered, offline (retrying), refused (retrying)
            reason: "", // why this browser is not the phone, or what the PBX or the network said
            incoming: null, // { number, name } of a call ringing this browser
            inCall: false, // a call placed or answered here is on
            muted: false,
        });
        const ringtone = new Ringtone(browser.AudioContext);
        const audio = document.createElement("audio");
        let SIP = null;
        let config = null;
        let userAgent = null;
        let registerer = null;
        let invitation = null;
        let session = null;
        let failures = 0;
        let retryTimer = null;

        function retryLater(action) {
            browser.clearTimeout(retryTimer);
            const delay = Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** failures);
            failures++;
            retryTimer = browser.setTimeout(action, delay * (0.8 + 0.2 * Math.random()));
        }

        async function start() {
            config = await orm.call("res.users", "telephony_softphone_config", []);
            if (config.mode !== "browser") {
                Object.assign(state, { mode: "desk", status: "off", reason: config.reason || "" });
                return;
            }
            if (!browser.navigator.mediaDevices?.getUserMedia) {
                Object.assign(state, {
                    mode: "desk",
                    reason: _t("This page cannot use a microphone (it must be served over https): calls ring your desk phone."),
                });
                return;
            }
            try {
                SIP = SIP || (await sipLibrary.load());
            } catch {
                Object.assign(state, {
                    mode: "desk",
                    reason: _t("The browser phone's SIP library is not installed on this Odoo server (npm ci): calls ring your desk phone."),
                });
                return;
            }
            state.mode = "browser";
            if (config.error) {
                Object.assign(state, { status: "offline", reason: config.error });
                retryLater(restart);
                return;
            }
            connect();
        }

        /** Odoo itself did not answer the start: the widget keeps the desk phone and says why. */
        function unavailable(error) {
            Object.assign(state, {
                mode: "desk",
                status: "off",
                reason: _t("The browser phone could not start (%(error)s): calls ring your desk phone.", {
                    error: error?.data?.message || error?.message || String(error),
                }),
            });
        }

        function connect() {
            state.status = "connecting";
            userAgent = new SIP.UserAgent({
                uri: SIP.UserAgent.makeURI(config.uri),
                displayName: config.display_name,
                authorizationUsername: config.username,
                authorizationPassword: config.password,
                transportOptions: { server: config.websocket_url },
                logLevel: "error",
                userAgentString: "Odoo Telephony",
                // No STUN server on the Internet by default: PBX and browsers share a network.
                sessionDescriptionHandlerFactoryOptions: { peerConnectionConfiguration: { iceServers: [] } },
                delegate: { onDisconnect, onInvite },
            });
            registerer = new SIP.Registerer(userAgent, { expires: REGISTRATION_SECONDS });
            userAgent.start().then(register, offline);
        }

        /**
         * Each accepted REGISTER means ready: after a lost connection the registerer still says "Registered"
         * (seen with SIP.js 0.21.2 and an Asterisk restart), so its state changes cannot tell.
         */
        function register() {
            return registerer.register({
                requestDelegate: {
                    onAccept() {
                        failures = 0;
                        Object.assign(state, { status: "registered", reason: "" });
                    },
                    onReject(response) {
                        const { statusCode, reasonPhrase } = response.message;
                        Object.assign(state, {
                            status: "refused",
                            reason: _t("The PBX refused this browser's account (%(code)s %(reason)s).", {
                                code: statusCode,
                                reason: reasonPhrase,
                            }),
                        });
                        retryLater(restart);
                    },
                },
            });
        }

        function offline(error) {
            Object.assign(state, {
                status: "offline",
                reason: _t("The PBX cannot be reached (%(error)s): reconnecting…", {
                    error: error?.message || _t("connection lost"),
                }),
            });
            retryLater(reconnect);
        }

        function onDisconnect(error) {
            if (error) {
                offline(error);
            }
        }

        function reconnect() {
            if (!userAgent) {
                return;
            }
            state.status = "connecting";
            userAgent.reconnect().then(register, offline);
        }

        /** Start over with the account as Odoo has it now (a new password, another extension, desk mode). */
        async function restart() {
            await stop();
            await start().catch(unavailable);
        }

        async function stop() {
            browser.clearTimeout(retryTimer);
            const stopping = userAgent;
            userAgent = registerer = null;
            if (stopping) {
                await stopping.stop().catch(() => {});
            }
            Object.assign(state, { status: "off", incoming: null });
            ringtone.stop();
        }

        function onInvite(offer) {
            if (session || invitation) {
                offer.reject({ statusCode: 486 });
                return;
            }
            invitation = offer;
            state.incoming = {
                number: offer.remoteIdentity.uri.user,
                name: offer.remoteIdentity.displayName || "",
            };
            ringtone.start();
            follow(offer);
        }

        function stopRinging() {
            invitation = null;
            state.incoming = null;
            ringtone.stop();
        }

        function follow(call) {
            call.stateChange.addListener((callState) => {
                if (callState === SIP.SessionState.Established && call === session) {
                    audio.srcObject = call.sessionDescriptionHandler.remoteMediaStream;
                    audio.play().catch(() => {});
                } else if (callState === SIP.SessionState.Terminated) {
                    if (call === invitation) {
                        stopRinging();
                    }
                    if (call === session) {
                        session = null;
                        audio.srcObject = null;
                        Object.assign(state, { inCall: false, muted: false });
                    }
                }
            });
        }

        async function answer() {
            const call = invitation;
            if (!call) {
                return;
            }
            stopRinging();
            session = call;
            state.inCall = true;
            await call.accept(MEDIA).catch((error) => {
                call.reject?.({ statusCode: 488 });
                throw microphoneError(error);
            });
        }

        function decline() {
            invitation?.reject({ statusCode: 603 });
            stopRinging();
        }

        /** Call ``target`` (an extension or an E.164 number, as Odoo checked it) from this browser. */
        async function call(target) {
            if (state.status !== "registered") {
                throw new Error(state.reason || _t("Your browser phone is not connected to the PBX yet."));
            }
            if (session) {
                throw new Error(_t("Hang up the current call first."));
            }
            const uri = SIP.UserAgent.makeURI(`sip:${target}@${config.domain}`);
            const inviter = new SIP.Inviter(userAgent, uri, MEDIA);
            session = inviter;
            state.inCall = true;
            follow(inviter);
            await inviter.invite().catch((error) => {
                session = null;
                Object.assign(state, { inCall: false, muted: false });
                throw microphoneError(error);
            });
        }

        function microphoneError(error) {
            if (error?.name === "NotAllowedError") {
                return new Error(_t("Odoo may not use your microphone: allow it in the browser's address bar, then call again."));
            }
            if (error?.name === "NotFoundError") {
                return new Error(_t("This computer has no microphone: plug one in, then call again."));
            }
            return error;
        }

        function hangUp() {
            const call = session;
            if (!call) {
                return;
            }
            if (call.state === SIP.SessionState.Established) {
                call.bye();
            } else if (call instanceof SIP.Inviter) {
                call.cancel();
            } else {
                call.reject();
            }
        }

        /** Keys typed during the call, sent in the audio stream as RFC 4733 events, like a phone's keypad. */
        function sendDtmf(keys) {
            return Boolean(session?.sessionDescriptionHandler?.sendDtmf(keys));
        }

        function setMuted(muted) {
            session?.sessionDescriptionHandler?.enableSenderTracks(!muted);
            state.muted = Boolean(session) && muted;
        }

        bus.subscribe("telephony/softphone", () => restart());
        browser.addEventListener("online", () => {
            if (userAgent && state.status === "offline") {
                failures = 0;
                reconnect();
            }
        });
        browser.addEventListener("pagehide", () => registerer?.unregister().catch(() => {}));
        user.hasGroup("telephony.group_telephony_user").then((allowed) => allowed && start().catch(unavailable));

        return {
            state,
            restart,
            call,
            answer,
            decline,
            hangUp,
            sendDtmf,
            setMuted,
            get hasCall() {
                return Boolean(session);
            },
        };
    },
};

registry.category("services").add("telephony_softphone", softphoneService);
