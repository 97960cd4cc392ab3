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
        // Answers of searches started before the list was closed are dropped when they arrive.
        this.searchCount = 0;
    }

    onInput(ev) {
        this.props.onChange(ev.target.value);
        this.search(ev.target.value);
    }

    async search(term) {
        const searchCount = ++this.searchCount;
        const suggestions = await this.orm.call("telephony.call", "telephony_search_targets", [term]);
        if (searchCount === this.searchCount) {
            this.state.suggestions = suggestions;
        }
    }

    /** Closes the list for good: a search still waiting or running must not reopen it. */
    closeSuggestions() {
        this.search.cancel();
        this.searchCount++;
        this.state.suggestions = [];
    }

    /** Leaving the field (for the dialpad, the Call button...) closes the list that would cover them. */
    onFocusout(ev) {
        if (!ev.currentTarget.contains(ev.relatedTarget)) {
            this.closeSuggestions();
        }
    }

    pick(suggestion) {
        this.closeSuggestions();
        this.props.onChange(suggestion.number);
    }

    onKeydown(ev) {
        if (ev.key === "Enter" && this.props.onEnter) {
            ev.preventDefault();
            ev.stopPropagation();
            this.closeSuggestions();
            this.props.onEnter();
        } else if (ev.key === "Escape" && this.state.suggestions.length) {
            ev.stopPropagation();
            this.closeSuggestions();
        }
    }

    icon(suggestion) {
        return { room: "fa-users", employee: "fa-id-badge", partner: "fa-address-book" }[suggestion.kind];
    }
}
