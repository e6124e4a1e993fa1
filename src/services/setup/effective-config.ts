import { describeConfig, URL_KEYS } from "../../config.ts";
import { defineVerb, NoInput } from "../../kernel/verb.ts";
import { READ_ROLES, requireStaffRole, seesWhereSystemsAre } from "../staff/staff-roles.ts";

/**
 * Settings that say where tokenbill's systems are: connection URLs (the database, SolusIO, Stripe, webhook
 * receivers), the mail server and its account, the address it listens on, its proxies and its files. Even
 * masked, they map the internal network, which a read-only role does not need to do its work.
 */
const WHERE_KEYS: ReadonlySet<string> = new Set([
  ...URL_KEYS,
  "HOST",
  "TRUST_PROXY",
  "DATA_DIR",
  "SMTP_HOST",
  "SMTP_USER",
  "PDF_FALLBACK_FONTS",
]);

/**
 * The configuration the server runs with, secrets masked exactly as `tokenbill config` prints them. It is
 * parsed once at start and frozen (src/config.ts), so nothing in it changes while the server runs. Staff
 * and API keys below admin see only whether each of `WHERE_KEYS` is set.
 */
export const effectiveConfiguration = defineVerb(
  NoInput,
  async ({ ctx }): Promise<{ key: string; value: string }[]> => {
    const me = await requireStaffRole(ctx, ...READ_ROLES);
    // An API key is held to its role as staff are (until 2026-12-07 every key saw the values, a support key
    // too); the other operators (TOKENBILL_ADMIN_API_KEY, the CLI) hold full authority: no user, no role.
    const seesWhere = seesWhereSystemsAre(ctx, me);
    const shown = (key: string, value: unknown): string | undefined => {
      if (!seesWhere && WHERE_KEYS.has(key)) return whetherSet(value);
      if (value === undefined) return undefined;
      return typeof value === "string" ? value : JSON.stringify(value);
    };
    return Object.entries(describeConfig(ctx.config)).flatMap(([key, raw]) => {
      const value = shown(key, raw);
      return value === undefined ? [] : [{ key, value }];
    });
  },
);

/**
 * An empty list (no webhook receivers) is as unset as an absent value, and so is TRUST_PROXY off (`false`, its
 * default: no proxy believed), which said "set".
 */
function whetherSet(value: unknown): string {
  const unset = value === undefined || value === false || (Array.isArray(value) && value.length === 0);
  return unset ? "not set" : "set";
}
