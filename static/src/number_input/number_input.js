import { Component, useState } from "@odoo/owl";
import { useDebounced } from "@web/core/utils/timing";
import { useService } from "@web/core/utils/hooks";

/** A number field that suggests rooms, colleagues and contacts, each with the number the PBX will dial. */
export class TelephonyNumberInput extends Component {
    static props = {
        value: String,
        onChange: Function,
        onEnter: { type: Function, optional: true },
        placeholder: { type: String, optional: true },
        inputClass: { type: String, optional: true },
    };
    static template = "telephony.NumberInput";

    setup() {
        this.orm = useService("orm");
        this.state = useState({ suggestions: [] });
        this.search = useDebounced(this.search, 200);
    }

    onInput(ev) {
        this.props.onChange(ev.target.value);
        this.search(ev.target.value);
    }

    async search(term) {
        this.state.suggestions = await this.orm.call("telephony.call", "telephony_search_targets", [term]);
    }

    pick(suggestion) {
        this.props.onChange(suggestion.number);
        this.state.suggestions = [];
    }

    onKeydown(ev) {
        if (ev.key === "Enter" && this.props.onEnter) {
            ev.preventDefault();
            ev.stopPropagation();
            this.state.suggestions = [];
            this.props.onEnter();
        }
    }

    icon(suggestion) {
        return { room: "fa-users", employee: "fa-id-badge", partner: "fa-address-book" }[suggestion.kind];
    }
}
