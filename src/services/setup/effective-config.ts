import { describeConfig } from "../../config.ts";
import { defineVerb, NoInput } from "../../kernel/verb.ts";
import { READ_ROLES, requireStaffRole } from "../staff/staff-roles.ts";

/**
 * The configuration the server runs with, secrets masked exactly as `tokenbill config` prints them. It is
 * parsed once at start and frozen (src/config.ts), so nothing in it changes while the server runs.
 */
export const effectiveConfiguration = defineVerb(
  NoInput,
  async ({ ctx }): Promise<{ key: string; value: string }[]> => {
    await requireStaffRole(ctx, ...READ_ROLES);
    return Object.entries(describeConfig(ctx.config))
      .filter(([, value]) => value !== undefined)
      .map(([key, value]) => ({ key, value: typeof value === "string" ? value : JSON.stringify(value) }));
  },
);
