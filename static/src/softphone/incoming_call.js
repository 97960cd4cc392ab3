import { Component, useState } from "@odoo/owl";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";

/**
 * The popup of a call ringing this browser: who calls (the caller card once the PBX has journaled the
 * call), Answer and Decline. It shows over any screen, like a phone's ringing screen.
 */
export class IncomingCall extends Component {
    static props = [];
    static template = "telephony.IncomingCall";

    setup() {
        this.softphoneService = useService("telephony_softphone");
        this.softphone = useState(this.softphoneService.state);
        this.telephony = useState(useService("telephony").state);
        this.notification = useService("notification");
    }

    /** The card of the call ringing me, when the journal already knows it. */
    get card() {
        const card = this.telephony.card;
        const call = this.telephony.call;
        return card && call && card.call_id === call.id && !call.end_date && call.state === "ringing" ? card : null;
    }

    get callerName() {
        const card = this.card;
        if (card?.internal) {
            return card.internal_name || card.number;
        }
        const partner = card?.partners.find((p) => p.id === card.partner_id);
        return partner?.name || this.softphone.incoming.name || this.softphone.incoming.number;
    }

    get callerDetails() {
        const card = this.card;
        const partner = card?.partners.find((p) => p.id === card.partner_id);
        // A call the PBX places itself (a meeting) comes from "asterisk", which is no number to show.
        const number = /^[+\d*#]+$/.test(this.softphone.incoming.number) ? this.softphone.incoming.number : "";
        return [partner?.function, partner?.company_name, card?.number_international || number]
            .filter(Boolean)
            .join(" · ");
    }

    async answer() {
        try {
            await this.softphoneService.answer();
        } catch (error) {
            this.notification.add(error.message, { type: "danger" });
        }
    }

    decline() {
        this.softphoneService.decline();
    }
}

registry.category("main_components").add("telephony.IncomingCall", { Component: IncomingCall });
