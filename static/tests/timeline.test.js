import { defineMailModels } from "@mail/../tests/mail_test_helpers";
import { describe, expect, test } from "@odoo/hoot";
import { click } from "@odoo/hoot-dom";
import { animationFrame, Deferred, mockTimeZone, runAllTimers } from "@odoo/hoot-mock";
import {
    getService,
    makeMockEnv,
    mountWithCleanup,
    onRpc,
    patchWithCleanup,
    serverState,
} from "@web/../tests/web_test_helpers";
import { browser } from "@web/core/browser/browser";
import { redirect } from "@web/core/utils/urls";
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
        const recorded = { ...item(1), recording_url: "/telephony/recording/11" };
        const items = kwargs.offset ? [item(3)] : [recorded, item(2, "note")];
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
    expect(".o-telephony-TimelineItem-call").toHaveText(/0:01:05 with Anna/);
    expect(".o-telephony-TimelineItem-call audio").toHaveAttribute("src", "/telephony/recording/11");
    expect(".o-telephony-TimelineItem-note audio").toHaveCount(0);
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

function mockRawNumberFeed(requests) {
    onRpc("telephony.conference", "telephony_my_live_conferences", () => ({ conferences: [] }));
    onRpc("telephony.call", "telephony_widget_data", () => ({ enabled: true, live_call: false, recent_calls: [] }));
    onRpc("telephony.timeline", "get_feed", ({ kwargs }) => {
        requests.push({ partner_id: kwargs.partner_id, number: kwargs.number });
        return {
            partner: false,
            number: "+33142685300",
            number_international: "+33 1 42 68 53 00",
            can_create_contact: false,
            can_link_contact: true,
            kinds: KINDS,
            items: [item(1)],
            has_more: false,
        };
    });
}

test("a timeline keeps its subject in the URL and opens again from it after a reload", async () => {
    const requests = [];
    mockRawNumberFeed(requests);
    await mountWithCleanup(WebClient);
    await getService("action").doAction({
        type: "ir.actions.client",
        tag: "telephony_timeline",
        params: { number: "+33142685300" },
    });
    await animationFrame();
    await runAllTimers();
    const url = new URL(browser.location.href);
    expect(url.searchParams.get("number")).toBe("tel:+33142685300");

    redirect(`${url.pathname}${url.search}`);
    await mountWithCleanup(WebClient);
    await animationFrame();
    expect(requests.length).toBeGreaterThan(1, { message: "the timeline loaded again from the URL" });
    expect(requests.every((request) => request.number === "+33142685300" && !request.partner_id)).toBe(true);
    expect(".o-telephony-TimelineBody h2").toHaveText("+33 1 42 68 53 00");
    expect(".o_breadcrumb .active").toHaveText("Timeline of +33 1 42 68 53 00");
});

test("a raw number's timeline offers only what the user may do", async () => {
    mockRawNumberFeed([]);
    await mountWithCleanup(WebClient);
    await getService("action").doAction({
        type: "ir.actions.client",
        tag: "telephony_timeline",
        params: { number: "+33142685300" },
    });
    await animationFrame();
    expect(".o-telephony-TimelineNewContact").toHaveCount(0);
    expect(".o-telephony-TimelineLinkNumber").toHaveCount(1);
});

test("a reload during a live call keeps the timeline: the call shows its card without redoing its action", async () => {
    mockRawNumberFeed([]);
    const widgetData = new Deferred();
    onRpc("has_group", () => true);
    onRpc("telephony.call", "telephony_widget_data", () => widgetData);
    onRpc("telephony.call", "telephony_caller_card", () => ({
        call_id: 9,
        partner_id: 3,
        partners: [],
        action: {
            type: "ir.actions.act_window",
            res_model: "res.partner",
            res_id: serverState.partnerId,
            views: [[false, "form"]],
        },
    }));
    redirect("/odoo/telephony_timeline?number=tel%3A%2B33142685300");
    browser.sessionStorage.setItem("telephony.actedCalls", JSON.stringify([9]));
    const env = await makeMockEnv();
    const opened = [];
    patchWithCleanup(env.services.action, {
        doAction(request) {
            opened.push(request.res_model || request.tag || request);
            return super.doAction(...arguments);
        },
    });
    await mountWithCleanup(WebClient, { env });
    await animationFrame();
    widgetData.resolve({
        enabled: true,
        extension: "100",
        live_call: { id: 9, direction: "inbound", state: "answered", caller_number: "0142685300", end_date: false },
        recent_calls: [],
    });
    await animationFrame();
    await runAllTimers();
    expect(opened).not.toInclude("res.partner");
    expect(".o-telephony-TimelineBody").toHaveCount(1);
});

test("the timeline follows the calls it shows: a ringing call turns answered", async () => {
    const requests = [];
    mockRawNumberFeed(requests);
    await mountWithCleanup(WebClient);
    await getService("action").doAction({
        type: "ir.actions.client",
        tag: "telephony_timeline",
        params: { number: "+33142685300" },
    });
    await animationFrame();
    expect(requests).toHaveLength(1);
    getService("telephony").callUpdates.trigger("call", { id: 77, partner_id: false, number_display: "+33 1 84 88 00 00" });
    await animationFrame();
    expect(requests).toHaveLength(1, { message: "another number's call changes nothing here" });
    getService("telephony").callUpdates.trigger("call", { id: 1, state: "answered", partner_id: false });
    await animationFrame();
    expect(requests).toHaveLength(2);
});

/** The timeline of contact 5 whose feed is ``items``, opened in a web client with no live call. */
async function openPartnerTimeline(items) {
    onRpc("telephony.conference", "telephony_my_live_conferences", () => ({ conferences: [] }));
    onRpc("telephony.call", "telephony_widget_data", () => ({ enabled: true, live_call: false, recent_calls: [] }));
    onRpc("telephony.timeline", "get_feed", () => ({
        partner: { id: 5, name: "Switchboard SA", phone: "", mobile: "", email: "" },
        number: "",
        number_international: "",
        kinds: KINDS,
        items,
        has_more: false,
    }));
    await mountWithCleanup(WebClient);
    await getService("action").doAction({
        type: "ir.actions.client",
        tag: "telephony_timeline",
        params: { partner_id: 5 },
    });
    await animationFrame();
}

test("a deadline is a day, not a moment: it shows the same date west of UTC", async () => {
    mockTimeZone(-5);
    await openPartnerTimeline([
        { ...item(1, "note"), key: "deadline", date: "2026-03-20", date_kind: "date" },
        { ...item(2), date: "2026-03-20 02:00:00", date_kind: "datetime" },
    ]);
    expect(".o-telephony-TimelineItem:eq(0)").toHaveText(/03\/20\/2026/);
    expect(".o-telephony-TimelineItem:eq(0)").not.toHaveText(/03\/19\/2026/);
    expect(".o-telephony-TimelineItem:eq(1)").toHaveText(/03\/19\/2026 21:00/, {
        message: "a call's moment is shown in the user's time zone",
    });
});

test("a two-hour call reads 2:00:00, not 120:00", async () => {
    await openPartnerTimeline([{ ...item(1), talk_seconds: 7200 }]);
    expect(".o-telephony-TimelineItem-call").toHaveText(/2:00:00 with Anna/);
});
