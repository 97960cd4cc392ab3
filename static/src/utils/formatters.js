import { deserializeDateTime } from "@web/core/l10n/dates";
import { formatFloatTime } from "@web/views/fields/formatters";

const { DateTime, Duration } = luxon;
const CLOCK_UNITS = ["hours", "minutes", "seconds"];

/**
 * Whole seconds as a clock, in Odoo's time format (float_time with seconds): 0:19:19, 2:00:00. The journal's
 * lists, forms and pivot show ring and talk times this way; the widget, the timeline and the live calls board
 * show the same, so a call reads the same everywhere.
 */
export function formatSeconds(seconds) {
    if (seconds === false || seconds === undefined) {
        return "";
    }
    return formatFloatTime(seconds / 3600, { displaySeconds: true, noLeadingZeroHour: true });
}

/**
 * Whole seconds with the units of the user's language ("1 min, 5 sec", "1 мин, 5 с"): a figure standing alone,
 * such as an average ring time. Odoo's formatDuration rounds to the minute; a ring time is a matter of seconds.
 */
export function formatSecondsInUnits(seconds) {
    const duration = Duration.fromObject({ seconds: Math.max(0, Math.round(seconds || 0)) }).shiftTo(...CLOCK_UNITS);
    const units = CLOCK_UNITS.filter((unit) => duration.get(unit));
    return duration.shiftTo(...(units.length ? units : ["seconds"])).toHuman({ unitDisplay: "short" });
}

/** Whole seconds from ``start`` to ``now`` (luxon DateTimes): how long a call has been going, never negative. */
export function elapsedSeconds(start, now) {
    return Math.max(0, Math.floor(now.diff(start).as("seconds")));
}

/**
 * A call's moment, short enough for the widget, in the user's time zone and language: the time for today's
 * calls, day and time for this year's, and the full date for older ones (as Odoo's mail lists do).
 */
export function formatCallMoment(serverDateTime) {
    const moment = deserializeDateTime(serverDateTime);
    const now = DateTime.now();
    if (moment.hasSame(now, "day")) {
        return moment.toLocaleString(DateTime.TIME_SIMPLE);
    }
    if (moment.hasSame(now, "year")) {
        return moment.toLocaleString({ month: "short", day: "numeric", ...DateTime.TIME_SIMPLE });
    }
    return moment.toLocaleString(DateTime.DATETIME_MED);
}
