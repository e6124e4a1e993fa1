// --limit of the list commands (list-walk.ts), apart from the walk: a group's file reads the bound for its help,
// and importing the walk there loaded the kernel's schemas for `--help` (light-commands-load.test.ts).

/** The most --limit takes: a bound, so that no typo asks for a number no list holds. */
export const MAX_LIMIT = 10_000_000;
