import type { ServerStateColumns } from "../../db/schema.ts";
import type { SolusioServer } from "../../solusio/schemas.ts";

// What usage source (b) records of a server at each sighting (solusio-api.md §9 (b)): everything that
// changes its price. A sighting that differs from the last one in any of these starts a new segment.

export type ServerState = ServerStateColumns;

/** The billing-relevant state of a listed server. Additional IPs are the non-primary IPv4 addresses. */
export function stateOf(s: SolusioServer): ServerState {
  return {
    solusio_user_id: s.user ? BigInt(s.user.id) : null,
    billing_user_id: s.user?.billing_user_id ?? null,
    plan_id: s.plan.id === null ? null : BigInt(s.plan.id),
    plan_name: s.plan.name,
    tokens_per_hour: s.plan.tokens_per_hour,
    tokens_per_month: s.plan.tokens_per_month,
    ip_tokens_per_hour: s.plan.ip_tokens_per_hour,
    ip_tokens_per_month: s.plan.ip_tokens_per_month,
    backup_percent: s.plan.backup_price,
    backups_enabled: s.backup_settings?.enabled === true,
    additional_ips: (s.ip_addresses?.ipv4 ?? []).filter((ip) => ip.is_primary === false).length,
  };
}

/** "10.000000" (a numeric column) and "10" (the wire) are the same percentage. */
export function samePercent(a: string, b: string): boolean {
  const trim = (x: string) => (x.includes(".") ? x.replace(/0+$/, "").replace(/\.$/, "") : x);
  return trim(a) === trim(b);
}

export function sameState(a: ServerState, b: ServerState): boolean {
  return (
    a.solusio_user_id === b.solusio_user_id &&
    a.billing_user_id === b.billing_user_id &&
    a.plan_id === b.plan_id &&
    a.plan_name === b.plan_name &&
    a.tokens_per_hour === b.tokens_per_hour &&
    a.tokens_per_month === b.tokens_per_month &&
    a.ip_tokens_per_hour === b.ip_tokens_per_hour &&
    a.ip_tokens_per_month === b.ip_tokens_per_month &&
    samePercent(a.backup_percent, b.backup_percent) &&
    a.backups_enabled === b.backups_enabled &&
    a.additional_ips === b.additional_ips
  );
}
