import { Component, onWillStart, useState, useSubEnv } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { deserializeDate, deserializeDateTime, formatDate, formatDateTime } from "@web/core/l10n/dates";
import { formatMonetary } from "@web/views/fields/formatters";
import { registry } from "@web/core/registry";
import { useBus, useService } from "@web/core/utils/hooks";
import { Layout } from "@web/search/layout";
import { getDefaultConfig } from "@web/views/view";
import { useSetupAction } from "@web/search/action_hook";
import { standardActionServiceProps } from "@web/webclient/actions/action_service";
import { TelephonyRecordingPlayer } from "../recording/recording_player";
import { formatSeconds } from "../utils/formatters";

const PAGE_SIZE = 30;
const ICONS = {
    call: "fa-phone",
    message: "fa-envelope-o",
    note: "fa-sticky-note-o",
    activity: "fa-clock-o",
    lead: "fa-star-o",
    sale_order: "fa-shopping-cart",
    invoice: "fa-file-text-o",
};

/** The URL keeps a number as "tel:+33…": the router would read a bare "+33…" back as the integer 33…. */
const URL_NUMBER_PREFIX = "tel:";

/**
 * Whose timeline this is, from the action's params: as the widget or the contact form give them, or
 * as the URL gives them back after a reload.
 */
function subjectOf(params) {
    const number = params.number ? String(params.number) : "";
    return {
        partner_id: params.partner_id || false,
        number: number.startsWith(URL_NUMBER_PREFIX) ? number.slice(URL_NUMBER_PREFIX.length) : number || false,
    };
}

/**
 * The client timeline: everything that happened with a client (or with a raw number nobody has yet),
 * newest first, a page at a time, filtered by kind.
 */
export class TelephonyTimeline extends Component {
    static components = { Layout, TelephonyRecordingPlayer };
    static props = { ...standardActionServiceProps };
    static template = "telephony.Timeline";

    setup() {
        useSubEnv({ config: { ...getDefaultConfig(), ...this.env.config } });
        useSetupAction();
        this.orm = useService("orm");
        this.action = useService("action");
        this.telephony = useService("telephony");
        this.subject = subjectOf(this.props.action.params || {});
        // Written into the URL, so that a reload opens this same timeline.
        this.props.updateActionState?.(
            this.subject.partner_id
                ? { partner_id: this.subject.partner_id }
                : { number: `${URL_NUMBER_PREFIX}${this.subject.number}` }
        );
        this.icons = ICONS;
        this.state = useState({ feed: null, items: [], hasMore: false, hiddenKinds: [], loading: false });
        onWillStart(() => this.load());
        useBus(this.telephony.callUpdates, "call", ({ detail: call }) => this.onCallUpdate(call));
    }

    /** A call of this client (shown, or new) changed: the feed shows it as it is now. */
    onCallUpdate(call) {
        const feed = this.state.feed;
        const shown = this.state.items.some((item) => item.kind === "call" && item.res_id === call.id);
        const ours = feed?.partner
            ? call.partner_id === feed.partner.id
            : Boolean(feed?.number_international) && call.number_display === feed.number_international;
        if (shown || ours) {
            this.load();
        }
    }

    get shownKinds() {
        return this.state.feed?.kinds.map((kind) => kind.key).filter((key) => !this.state.hiddenKinds.includes(key));
    }

    async load(more = false) {
        this.state.loading = true;
        try {
            const feed = await this.orm.call("telephony.timeline", "get_feed", [], {
                ...this.subject,
                kinds: this.state.feed ? this.shownKinds : null,
                offset: more ? this.state.items.length : 0,
                limit: PAGE_SIZE,
            });
            // Named after its subject: an action reopened from the URL has no name of its own.
            this.env.config.setDisplayName?.(
                _t("Timeline of %(subject)s", { subject: feed.partner?.name || feed.number_international })
            );
            Object.assign(this.state, {
                feed,
                items: more ? [...this.state.items, ...feed.items] : feed.items,
                hasMore: feed.has_more,
            });
        } finally {
            this.state.loading = false;
        }
    }

    toggleKind(key) {
        const hidden = this.state.hiddenKinds;
        this.state.hiddenKinds = hidden.includes(key) ? hidden.filter((k) => k !== key) : [...hidden, key];
        return this.load();
    }

    isShown(key) {
        return !this.state.hiddenKinds.includes(key);
    }

    /** The values that are set, as one line ("Sales · Azure Interior"). */
    joinShown(values) {
        return values.filter(Boolean).join(" · ");
    }

    /** An item's moment in the user's time zone; a deadline or an invoice date is a day, shown as it is. */
    formatItemDate(item) {
        if (item.date_kind === "date") {
            return formatDate(deserializeDate(item.date));
        }
        return formatDateTime(deserializeDateTime(item.date));
    }

    formatAmount(item) {
        return formatMonetary(item.amount, { currencyId: item.currency_id });
    }

    callLabel(item) {
        if (item.missed) {
            return _t("Missed");
        }
        if (item.talk_seconds) {
            return _t("%(duration)s with %(user)s", {
                duration: formatSeconds(item.talk_seconds),
                user: item.user_name || _t("nobody"),
            });
        }
        return item.state_label;
    }

    open(item) {
        this.action.doAction({
            type: "ir.actions.act_window",
            res_model: item.model,
            res_id: item.res_id,
            views: [[false, "form"]],
        });
    }

    openContact() {
        this.telephony.openContact(this.state.feed.partner.id);
    }

    call() {
        const partner = this.state.feed.partner;
        const number = partner ? partner.phone || partner.mobile : this.state.feed.number;
        this.telephony.dial(number);
    }

    newContact() {
        this.telephony.newContact(this.state.feed.number);
    }

    linkNumber() {
        this.telephony.linkNumber(this.state.feed.number);
    }
}

registry.category("actions").add("telephony_timeline", TelephonyTimeline);
