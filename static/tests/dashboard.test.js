import { defineMailModels } from "@mail/../tests/mail_test_helpers";
import { describe, expect, test } from "@odoo/hoot";
import { click, edit, press, queryAllTexts, queryOne } from "@odoo/hoot-dom";
import { animationFrame, mockDate } from "@odoo/hoot-mock";
import { defineParams, getService, mountWithCleanup, onRpc } from "@web/../tests/web_test_helpers";
import { WebClient } from "@web/webclient/webclient";

describe.current.tags("desktop");
defineMailModels();

/** Russian as Odoo ships it (res.lang): day first, dotted; Monday starts the week; spaces group digits. */
const RUSSIAN = {
    lang: "ru_RU",
    lang_parameters: { date_format: "%d.%m.%Y", thousands_sep: " ", decimal_point: ",", week_start: 1 },
};

function kpi(key, value, unit = "count") {
    return { key, label: key, value, domain: [], unit };
}

/** The server's answer for March 2026: days as YYYY-MM-DD, weekdays as ISO numbers, durations in seconds. */
function dashboardData(period = "month", dateFrom = "2026-03-01", dateTo = "2026-03-31") {
    const days = ["2026-03-01", "2026-03-02"];
    const cells = Array.from({ length: 24 }, () => 0);
    return {
        period: { key: period, date_from: dateFrom, date_to: dateTo },
        domain: [],
        kpis: [
            kpi("total", 1234),
            ...["inbound", "outbound", "answered", "missed", "missed_open", "known", "unknown"].map((key) => kpi(key, 1)),
            kpi("ring_avg", 65, "duration"),
            kpi("ring_max", 7205, "duration"),
            kpi("talk_avg", 0, "duration"),
        ],
        days: { labels: days, series: [{ key: "inbound_answered", label: "In", values: [1, 2], domains: [[], []] }] },
        employees: [],
        heatmap: { max: 1, rows: [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, cells })) },
        conferences: { rooms: 0, participants: 0, minutes: 0, domain: [] },
        followups_open: { count: 0, domain: [] },
        filters: { users: [], departments: [] },
    };
}

async function openDashboard(requests = []) {
    onRpc("telephony.conference", "telephony_my_live_conferences", () => ({ conferences: [] }));
    onRpc("telephony.call", "telephony_widget_data", () => ({ enabled: true, live_call: false, recent_calls: [] }));
    onRpc("telephony.dashboard", "get_dashboard_data", ({ kwargs }) => {
        requests.push(kwargs);
        return kwargs.period === "custom"
            ? dashboardData("custom", kwargs.date_from, kwargs.date_to)
            : dashboardData(kwargs.period);
    });
    await mountWithCleanup(WebClient);
    await getService("action").doAction({ type: "ir.actions.client", tag: "telephony_dashboard" });
    await animationFrame();
}

function kpiText(key) {
    return `.o-telephony-Kpi-${key} .o-telephony-KpiValue`;
}

test("in Russian, durations have Russian units, dates and counts the Russian format", async () => {
    defineParams(RUSSIAN);
    await openDashboard();
    expect(kpiText("ring_avg")).toHaveText("1 мин, 5 с");
    expect(kpiText("ring_max")).toHaveText("2 ч, 5 с");
    expect(kpiText("talk_avg")).toHaveText("0 с");
    expect(kpiText("total")).toHaveText("1 234");
    expect(".o-telephony-DashboardPeriod").toHaveText("01.03.2026 → 31.03.2026");
    // The week starts on Monday in Russian, with Russian day names.
    expect(queryAllTexts(".o-telephony-Heatmap tbody th")).toEqual(["пн", "вт", "ср", "чт", "пт", "сб", "вс"]);
    expect(".o-telephony-Heatmap thead th:eq(16)").toHaveAttribute("title", "15:00");
    // The days of the chart's axis, short, with Russian month names.
    const chart = window.Chart.getChart(queryOne(".o-telephony-DaysChart canvas"));
    expect(chart.data.labels).toEqual(["1 мар.", "2 мар."]);
});

test("in English (US), the week of the heatmap starts on Sunday and durations have English units", async () => {
    await openDashboard();
    expect(kpiText("ring_avg")).toHaveText("1 min, 5 sec");
    expect(kpiText("total")).toHaveText("1,234");
    expect(".o-telephony-DashboardPeriod").toHaveText("03/01/2026 → 03/31/2026");
    expect(queryAllTexts(".o-telephony-Heatmap tbody th")).toEqual(["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]);
    expect(".o-telephony-Heatmap thead th:eq(16)").toHaveAttribute("title", /^3:00\sPM$/);
});

test("custom dates are typed in the user's date format and reach the server as days", async () => {
    mockDate("2026-03-20 10:00:00");
    defineParams(RUSSIAN);
    const requests = [];
    await openDashboard(requests);
    await click(".o-telephony-DashboardFilters button[data-period='custom']");
    await animationFrame();
    // The custom period starts from the period shown, in the user's format.
    expect(".o-telephony-DateFrom input").toHaveValue("01.03.2026");
    expect(".o-telephony-DateTo input").toHaveValue("31.03.2026");
    await click(".o-telephony-DateFrom input");
    await edit("05.03.2026");
    await press("Enter");
    await animationFrame();
    const { period, date_from, date_to } = requests.at(-1);
    expect({ period, date_from, date_to }).toEqual({ period: "custom", date_from: "2026-03-05", date_to: "2026-03-31" });
    expect(".o-telephony-DashboardPeriod").toHaveText("05.03.2026 → 31.03.2026");
});
