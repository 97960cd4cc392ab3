import { Activity } from "@mail/core/web/activity";
import { patch } from "@web/core/utils/patch";
import { useClickToDial } from "./click_to_dial_hook";

/** A phone call activity ("Call back" a missed caller, Odoo's "Call") dials the number behind it. */
patch(Activity.prototype, {
    setup() {
        super.setup();
        this.clickToDial = useClickToDial();
    },

    get canCallFromActivity() {
        return this.clickToDial.available && this.props.activity.activity_category === "phonecall";
    },

    /** Calling does not mark the activity done: whether the call back reached them is the user's to say. */
    async onClickCallFromActivity() {
        const number = await this.env.services.orm.call("mail.activity", "telephony_number_to_call", [
            [this.props.activity.id],
        ]);
        await this.clickToDial.dial(number);
    },
});
