import { useEnv, useState } from "@odoo/owl";

/**
 * Click-to-dial for a component of a page (a phone field, an activity): whether calling from Odoo is
 * on for me, and a dial that opens the VoIP widget on the call it placed. A web client without the
 * telephony service dials nothing: its pages keep their plain tel: links.
 */
export function useClickToDial() {
    const telephony = useEnv().services.telephony;
    const state = telephony ? useState(telephony.state) : { allowed: false, enabled: false };
    return {
        get available() {
            return Boolean(state.allowed && state.enabled);
        },
        async dial(number) {
            if (await telephony.dial(number)) {
                telephony.openPanel();
            }
        },
    };
}
