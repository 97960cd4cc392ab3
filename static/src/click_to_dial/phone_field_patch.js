import { patch } from "@web/core/utils/patch";
import { PhoneField } from "@web/views/fields/phone/phone_field";
import { useClickToDial } from "./click_to_dial_hook";

/** Every phone field (a contact's, a lead's, an employee's, any widget="phone") dials through the VoIP widget. */
patch(PhoneField.prototype, {
    setup() {
        super.setup();
        this.clickToDial = useClickToDial();
    },

    async onClickToDial() {
        const number = this.props.record.data[this.props.name];
        if (number) {
            await this.clickToDial.dial(number);
        }
    },
});
