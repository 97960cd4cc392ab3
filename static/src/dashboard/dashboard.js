import { Component, onWillStart, useState, useSubEnv } from "@odoo/owl";
import { DateTimeInput } from "@web/core/datetime/datetime_input";
import { deserializeDate, formatDate, serializeDate } from "@web/core/l10n/dates";
import { localization } from "@web/core/l10n/localization";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { KeepLast } from "@web/core/utils/concurrency";
import { useService } from "@web/core/utils/hooks";
import { useSetupAction } from "@web/search/action_hook";
import { Layout } from "@web/search/layout";
import { getDefaultConfig } from "@web/views/view";
import { formatInteger } from "@web/views/fields/formatters";
import { standardActionServiceProps } from "@web/webclient/actions/action_service";
import { formatSecondsInUnits } from "../utils/formatters";
import { TelephonyBarChart } from "./bar_chart";
import { switchReportForm } from "./report_panel_switch";

const { DateTime, Info } = luxon;
/** A day on the chart's axis: short, in the user's language ("Mar 5", "5 mars", "5 мар."). */
const AXIS_DAY = { month: "short", day: "numeric" };
/**
 * The server's days and hours are already local: written as they are, they must not move with a time zone
 * (midnight of 1 March, read in one zone and written in another, would be 28 February).
 */
const AS_WRITTEN = { zone: "utc" };
const SERIES_COLORS = ["#28a745", "#dc3545", "#017e84", "#adb5bd"];

/**
 * The simplified call report (seed 003): clear figures and charts grouped in blocks, for a period,
 * employees and teams. Every figure, bar and cell opens exactly the calls behind it.
 */
export class TelephonyDashboard extends Component {
    static components = { DateTimeInput, Layout, TelephonyBarChart };
    static props = { ...standardActionServiceProps };
    static template = "telephony.Dashboard";

    setup() {
        useSubEnv({ config: { ...getDefaultConfig(), ...this.env.config } });
        useSetupAction();
        this.orm = useService("orm");
        this.action = useService("action");
        this.periods = [
            { key: "today", label: _t("Today") },
            { key: "week", label: _t("This week") },
            { key: "month", label: _t("This month") },
            { key: "quarter", label: _t("This quarter") },
            { key: "custom", label: _t("Custom") },
        ];
        // Filters changed in quick succession: only the answer to the last change may reach the screen.
        this.keepLast = new KeepLast();
        this.state = useState({ period: "month", dateFrom: "", dateTo: "", userId: "", departmentId: "", data: null });
        onWillStart(() => this.load());
    }

    async load() {
        const { period, dateFrom, dateTo, userId, departmentId } = this.state;
        if (period === "custom" && !(dateFrom && dateTo)) {
            return;
        }
        this.state.data = await this.keepLast.add(
            this.orm.call("telephony.dashboard", "get_dashboard_data", [], {
                period,
                date_from: dateFrom || false,
                date_to: dateTo || false,
                user_ids: userId ? [Number(userId)] : [],
                department_ids: departmentId ? [Number(departmentId)] : [],
            })
        );
    }

    setPeriod(key) {
        this.state.period = key;
        if (key === "custom" && this.state.data && !this.state.dateFrom) {
            this.state.dateFrom = this.state.data.period.date_from;
            this.state.dateTo = this.state.data.period.date_to;
        }
        return this.load();
    }

    onFilterChange(field, ev) {
        this.state[field] = ev.target.value;
        return this.load();
    }

    /** A day picked in Odoo's date input, in the user's date format; the server gets it as YYYY-MM-DD. */
    onDateChange(field, date) {
        this.state[field] = date ? serializeDate(date) : "";
        return this.load();
    }

    /** A YYYY-MM-DD day of the filters or of the server's answer, for the date inputs. */
    toDate(day) {
        return day ? deserializeDate(day) : false;
    }

    /** A YYYY-MM-DD day in the user's date format. */
    formatDay(day) {
        return formatDate(deserializeDate(day));
    }

    get dayLabels() {
        return this.state.data.days.labels.map((day) => DateTime.fromISO(day, AS_WRITTEN).toLocaleString(AXIS_DAY));
    }

    isSelected(field, id) {
        return this.state[field] === String(id);
    }

    get kpis() {
        return Object.fromEntries(this.state.data.kpis.map((kpi) => [kpi.key, kpi]));
    }

    get dayDatasets() {
        return this.state.data.days.series.map((series, index) => ({
            label: series.label,
            data: series.values,
            backgroundColor: SERIES_COLORS[index],
            stack: series.key.startsWith("inbound") ? "inbound" : "outbound",
        }));
    }

    get employeeDatasets() {
        const employees = this.state.data.employees;
        return [
            { label: _t("Answered"), data: employees.map((e) => e.answered), backgroundColor: SERIES_COLORS[0] },
            { label: _t("Missed"), data: employees.map((e) => e.missed), backgroundColor: SERIES_COLORS[1] },
            {
                label: _t("Other"),
                data: employees.map((e) => e.total - e.answered - e.missed),
                backgroundColor: SERIES_COLORS[3],
            },
        ];
    }

    /** A count with the user's digit grouping; a duration with the units of the user's language. */
    formatValue(kpi) {
        return kpi.unit === "duration" ? formatSecondsInUnits(kpi.value) : formatInteger(kpi.value);
    }

    /** The heatmap's days, from the first day of the week of the user's language (Sunday in en_US). */
    get heatRows() {
        const rows = this.state.data.heatmap.rows;
        const first = rows.findIndex((row) => row.weekday === localization.weekStart);
        return first > 0 ? [...rows.slice(first), ...rows.slice(0, first)] : rows;
    }

    weekdayName(isoWeekday) {
        return Info.weekdays("short")[isoWeekday - 1];
    }

    /** An hour of the day as the user's language writes it ("15:00", "3:00 PM"). */
    formatHour(hour) {
        return DateTime.fromObject({ hour }, AS_WRITTEN).toLocaleString(DateTime.TIME_SIMPLE);
    }

    /** A heatmap cell as the user's language writes it ("Monday 3:00 PM", "lundi 15:00"). */
    formatHeatCell(isoWeekday, hour) {
        return DateTime.fromObject({ weekday: isoWeekday, hour }, AS_WRITTEN).toLocaleString({
            weekday: "long",
            ...DateTime.TIME_SIMPLE,
        });
    }

    heatStyle(count) {
        const max = this.state.data.heatmap.max || 1;
        return `--o-telephony-heat: ${(count / max).toFixed(2)}`;
    }

    openCalls(domain, name) {
        return this.action.doAction({
            type: "ir.actions.act_window",
            name: name || _t("Calls"),
            res_model: "telephony.call",
            views: [
                [false, "list"],
                [false, "form"],
            ],
            domain,
        });
    }

    openDay(seriesIndex, dayIndex) {
        const series = this.state.data.days.series[seriesIndex];
        const day = this.formatDay(this.state.data.days.labels[dayIndex]);
        return this.openCalls(series.domains[dayIndex], `${series.label} · ${day}`);
    }

    openEmployee(_seriesIndex, index) {
        const employee = this.state.data.employees[index];
        return this.openCalls(employee.domain, employee.name);
    }

    async openHeatCell(row, hour) {
        const domain = await this.orm.call("telephony.dashboard", "get_heatmap_domain", [
            this.state.data.domain,
            row.weekday,
            hour,
        ]);
        return this.openCalls(domain, this.formatHeatCell(row.weekday, hour));
    }

    openFollowups() {
        return this.action.doAction({
            type: "ir.actions.act_window",
            name: _t("Call-backs to do"),
            res_model: "mail.activity",
            views: [
                [false, "list"],
                [false, "form"],
            ],
            domain: this.state.data.followups_open.domain,
        });
    }

    openReportPanel() {
        return switchReportForm(this.action, "telephony.telephony_call_action_report_panel");
    }
}

registry.category("actions").add("telephony_dashboard", TelephonyDashboard);
