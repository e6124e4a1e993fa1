import type { BillableUsage } from "./recompute-usage.ts";

// The books keep amounts, token counts and hours as PostgreSQL's bigint. The maths is exact at any size, so
// a figure past that bound is a price or a count typed with digits too many, or a source gone wrong; a run
// says which server or customer it is, before anything of theirs is written, rather than failing on
// PostgreSQL's "out of range" with no word of who or why.

/** The largest bigint PostgreSQL stores. */
export const BIGINT_MAX = 2n ** 63n - 1n;

/**
 * Why this server's billed usage cannot be staged, or undefined when it can. Runtime, IP and backup tokens
 * are also added up, per record, in the stage's queries (the cross-check, unknown users), so their sum
 * must fit too.
 */
export function usageOutOfRange(usage: BillableUsage, billingUserId: bigint | null): string | undefined {
  const tokens = usage.tokens + usage.ipTokens + usage.backupTokens;
  // Compared one by one, not through an array: this runs for every record of a run, millions of them.
  if (
    tokens <= BIGINT_MAX &&
    usage.hours <= BIGINT_MAX &&
    usage.ipCount <= BIGINT_MAX &&
    usage.ipHours <= BIGINT_MAX &&
    usage.backupHours <= BIGINT_MAX
  )
    return undefined;
  const owner = billingUserId === null ? "no billing user" : `billing user ${billingUserId}`;
  return `server ${usage.serverId} (${usage.serverName}, ${owner}) on plan ${usage.planName} counts ${tokens} tokens over ${usage.hours} h with ${usage.ipCount} additional IPs, more than the books hold (${BIGINT_MAX}); check the plan's prices and the server's figures in SolusIO`;
}
