// How old a pending refund reservation must be before `refund-release` (the API's and the command line's)
// releases it: in a module of its own, so that the command's --help reads them without the verb's modules.

/** The youngest reservation a release takes, in minutes: below it the provider call may still be running (the
 * SDK's 20 s timeout, three attempts). */
export const MIN_RESERVATION_AGE_MINUTES = 5;
/** The age a release refuses below when none is given, in minutes. */
export const DEFAULT_RESERVATION_AGE_MINUTES = 15;
/**
 * How long after a refund of another amount ended a reservation its look-up runs (look-up-ended-reservation.ts):
 * past any ask still in flight, as a release waits MIN_RESERVATION_AGE_MINUTES.
 */
export const ENDED_RESERVATION_LOOK_UP_DELAY_MS = MIN_RESERVATION_AGE_MINUTES * 60_000;
