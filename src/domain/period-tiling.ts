import { periodAfter, periodBefore, periodBounds, periodOf, wholeHoursSince } from "./periods.ts";

// Billing periods must tile time (billing-rules §2: no hour is ever billed twice, none left out), whatever
// BILLING_TIME_ZONE says today. A period's bounds are fixed by its first run; a period not yet billed takes
// its neighbours' recorded bounds as its own where they meet, and the zone's calendar month elsewhere. What
// looks at the month in progress (the estimates, the billing schedule) takes the same bounds.

/** The bounds a period's first billing run recorded, and the zone it computed them in (null before 2026-12-06). */
export interface RecordedBounds {
  start: Date;
  end: Date;
  timeZone: string | null;
}

export interface TiledBounds {
  start: Date;
  end: Date;
  /** Why the bounds are not the calendar month in the current zone; null when they are. */
  warning: string | null;
}

/** The period's recorded bounds and those of the months just before and after it, where billed. */
export interface RecordedNeighbours {
  own?: RecordedBounds | undefined;
  previous?: RecordedBounds | undefined;
  next?: RecordedBounds | undefined;
}

const zoneName = (zone: string | null) => zone ?? "a zone not recorded";

/**
 * The [start, end) a run of `period` bills when BILLING_TIME_ZONE is `timeZone`: the period's own recorded
 * bounds if it was billed before (a re-run, a reissue, a killed run's successor); otherwise from where the
 * month before ended when it was billed, to where the month after starts if that was billed first, and the
 * calendar month in `timeZone` on a side no billed neighbour fixes.
 */
export function tiledPeriodBounds(
  period: string,
  timeZone: string,
  recorded: RecordedNeighbours,
): TiledBounds {
  const zone = periodBounds(period, timeZone);
  const same = (a: Date, b: Date) => a.getTime() === b.getTime();
  const { own, previous, next } = recorded;
  if (own) {
    const warning =
      same(own.start, zone.start) && same(own.end, zone.end)
        ? null
        : `${period} keeps the bounds its first run recorded in ${zoneName(own.timeZone)} ` +
          `(${own.start.toISOString()} – ${own.end.toISOString()}), not its calendar month in ${timeZone} ` +
          `(${zone.start.toISOString()} – ${zone.end.toISOString()}), so that its invoices stay the same`;
    return { start: own.start, end: own.end, warning };
  }
  const start = previous?.end ?? zone.start;
  const end = next?.start ?? zone.end;
  const shifted: string[] = [];
  if (!same(start, zone.start))
    shifted.push(
      `starts at ${start.toISOString()}, where the month before ended when it was billed in ${zoneName(previous!.timeZone)}, not at ${zone.start.toISOString()}`,
    );
  if (!same(end, zone.end))
    shifted.push(
      `ends at ${end.toISOString()}, where the month after started when it was billed in ${zoneName(next!.timeZone)}, not at ${zone.end.toISOString()}`,
    );
  const warning =
    shifted.length === 0
      ? null
      : `${period} ${shifted.join(", and ")} (its calendar month in ${timeZone}): BILLING_TIME_ZONE changed, and no hour may be billed twice or left out`;
  return { start, end, warning };
}

/** The bounds a period's first run recorded, by period; undefined for a period never billed. */
export type RecordedOf = (period: string) => RecordedBounds | undefined;

/** No period billed yet: every period is its calendar month in the zone. */
export const NOTHING_RECORDED: RecordedOf = () => undefined;

/** tiledPeriodBounds of `period`, its own and its neighbours' recorded bounds looked up in `recordedOf`. */
export function tiledBoundsOf(period: string, timeZone: string, recordedOf: RecordedOf): TiledBounds {
  return tiledPeriodBounds(period, timeZone, {
    own: recordedOf(period),
    previous: recordedOf(periodBefore(period)),
    next: recordedOf(periodAfter(period)),
  });
}

/**
 * The period whose tiled bounds hold `instant`: the calendar month in `timeZone` that holds it, or the month
 * before or after it where a month billed in another zone moved the boundary past `instant` (by less than a
 * day: two zones differ by at most 26 hours). After October was billed in Europe/Berlin (to 10-31T23:00Z),
 * 11-01T02:00Z is in November under America/New_York, though New York's calendar still says October.
 */
export function tiledPeriodAt(
  instant: Date,
  timeZone: string,
  recordedOf: RecordedOf,
): { period: string; start: Date; end: Date } {
  const calendar = periodOf(instant, timeZone);
  for (const period of [calendar, periodBefore(calendar), periodAfter(calendar)]) {
    const { start, end } = tiledBoundsOf(period, timeZone, recordedOf);
    if (start <= instant && instant < end) return { period, start, end };
  }
  // Only bounds recorded apart before 2026-12-06 leave an instant in no period: its calendar month then.
  return { period: calendar, ...periodBounds(calendar, timeZone) };
}

/**
 * The month so far at `now` as its billing run will bound it (tiledPeriodAt): from the period's start, for as
 * many whole hours as have passed since (periods.ts, monthSoFar).
 */
export function tiledMonthSoFar(
  now: Date,
  timeZone: string,
  recordedOf: RecordedOf,
): { period: string; start: Date; end: Date } {
  const { period, start } = tiledPeriodAt(now, timeZone, recordedOf);
  return { period, ...wholeHoursSince(start, now) };
}
