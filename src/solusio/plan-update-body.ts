import type { SolusioPlan } from "./schemas.ts";
import type { PlanPrices } from "./solusio-api.ts";

// `PUT plans/{id}` as the Go SDK sends it (solusio-api.md §5): its PlanUpdateRequest has no omitempty, so
// every update carries the whole plan. A SolusIO may refuse a body without `name` (422) or reset what a PUT
// leaves out (hide the plan, switch its paid backups off), so a price change sends the plan as SolusIO just
// showed it, with only the token prices changed.

/** [V Go SDK plans.go PlanUpdateRequest] Every field of the SDK's update body. */
const SDK_UPDATE_FIELDS = [
  "name",
  "limits",
  "tokens_per_hour",
  "tokens_per_month",
  "position",
  "is_visible",
  "is_default",
  "is_snapshots_enabled",
  "is_backup_available",
  "backup_price",
  "reset_limit_policy",
  "network_traffic_limit_type",
] as const;

/**
 * [OURS] Settings the Go SDK does not declare but SolusIO's plans have (third-party SDKs send them): echoed
 * too, so that a PUT that replaces the plan keeps them. The IP prices are tokenbill's to set.
 */
const OTHER_UPDATE_FIELDS = [
  "ip_tokens_per_hour",
  "ip_tokens_per_month",
  "is_additional_ips_available",
  "iso_image_tokens_per_hour",
  "iso_image_tokens_per_month",
] as const;

/**
 * The update body of `plan` (as just read from SolusIO) with `prices` in it. A field SolusIO did not show is
 * left out rather than invented: a default of ours could change a setting the plan has.
 */
export function planUpdateBody(plan: SolusioPlan, prices: PlanPrices): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const field of [...SDK_UPDATE_FIELDS, ...OTHER_UPDATE_FIELDS]) {
    const value = (plan as Record<string, unknown>)[field];
    if (value !== undefined) body[field] = value;
  }
  return { ...body, ...prices };
}
