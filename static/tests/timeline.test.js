import { defineMailModels } from "@mail/../tests/mail_test_helpers";
import { describe, expect, test } from "@odoo/hoot";
import { click } from "@odoo/hoot-dom";
import { animationFrame } from "@odoo/hoot-mock";
import { getService, mountWithCleanup, onRpc } from "@web/../tests/web_test_helpers";
import { WebClient } from "@web/webclient/webclient";

describe.current.tags("desktop");
defineMailModels();

const KINDS = [
    { key: "call", label: "Calls" },
    { key: "note", label: "Notes" },
];

function item(index, kind = "call") {
    return {
        kind,
        key: `${kind}-${index}`,
        model: kind === "call" ? "telephony.call" : "res.partner",
        res_id: index,
        date: `2026-03-${String(20 - index).padStart(2, "0")} 09:00:00`,
        title: `${kind} ${index}`,
        direction: "inbound",
        missed: index === 2,
        state_label: "Answered",
        talk_seconds: 65,
        user_name: "Anna",
        number: "0184880000",
        author: "Anna",
        body: "",
    };
}

test("the timeline filters by kind and loads the next page", async () => {
    const requests = [];
    onRpc("telephony.conference", "telephony_my_live_conferences", () => ({ conferences: [] }));
    onRpc("telephony.call", "telephony_widget_data", () => ({ enabled: true, live_call: false, recent_calls: [] }));
    onRpc("telephony.timeline", "get_feed", ({ kwargs }) => {
        requests.push({ kinds: kwargs.kinds, offset: kwargs.offset });
        const items = kwargs.offset ? [item(3)] : [item(1), item(2, "note")];
        return {
            partner: { id: 5, name: "Switchboard SA", phone: "01 84 88 00 00", mobile: "", email: "" },
            number: "",
            number_international: "",
            kinds: KINDS,
            items: kwargs.kinds?.length === 1 ? [item(1)] : items,
            has_more: !kwargs.offset,
        };
    });
    await mountWithCleanup(WebClient);
    await getService("action").doAction({
        type: "ir.actions.client",
        tag: "telephony_timeline",
        params: { partner_id: 5 },
    });
    await animationFrame();
    expect(".o-telephony-TimelineItem").toHaveCount(2);
    expect(".o-telephony-TimelineItem-call").toHaveText(/1:05 with Anna/);
    await click(".o-telephony-TimelineMore");
    await animationFrame();
    expect(".o-telephony-TimelineItem").toHaveCount(3);
    await click(".o-telephony-TimelineFilters [data-kind='note']");
    await animationFrame();
    expect(".o-telephony-TimelineItem").toHaveCount(1);
    expect(requests).toEqual([
        { kinds: null, offset: 0 },
        { kinds: ["call", "note"], offset: 2 },
        { kinds: ["call"], offset: 0 },
    ]);
});
