import type { Config } from "../../config.ts";
import { ServiceError } from "../../kernel/errors.ts";

// A customer's limit group is one tokenbill manages: a name from SOLUSIO_LIMIT_GROUPS, which `tokenbill
// solusio setup` creates in SolusIO and the sync gives the customer's user. Any other name was stored,
// skipped by the sync (it finds no such group) and reported in sync while the user stayed in SolusIO's
// default group. The schema cannot check it (it does not know the configuration); the verbs call this.

/**
 * Refuses a limit group that is not configured: VALIDATION naming `limit_group` and listing the configured
 * names. `null` (the default group, SOLUSIO_DEFAULT_LIMIT_GROUP) and `undefined` (not changed) pass.
 */
export function assertConfiguredLimitGroup(
  config: Pick<Config, "SOLUSIO_LIMIT_GROUPS">,
  name: string | null | undefined,
): void {
  if (name === null || name === undefined) return;
  const names = config.SOLUSIO_LIMIT_GROUPS.map((g) => g.name);
  if (names.includes(name)) return;
  throw ServiceError.validation(
    "limit_group",
    names.length > 0
      ? `must be one of the configured limit groups (SOLUSIO_LIMIT_GROUPS): ${names.map((n) => JSON.stringify(n)).join(", ")}; or null for the default group`
      : "no limit groups are configured (SOLUSIO_LIMIT_GROUPS is empty): only null, the default group",
  );
}
