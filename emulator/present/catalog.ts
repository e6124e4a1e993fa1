import type { LimitGroupRecord, LocationRecord, PlanRecord, PlanSnapshot } from "../state/types.ts";
import { apiTimestamp } from "./time.ts";

export function presentLimitGroup(group: LimitGroupRecord) {
  return {
    id: group.id,
    name: group.name,
    created_at: apiTimestamp(group.createdAt),
    updated_at: apiTimestamp(group.updatedAt),
    vms: { ...group.vms },
    running_vms: { ...group.runningVms },
    additional_ips: { ...group.additionalIps },
  };
}

/** The Go SDK's Location (locations.go); no icons or compute resources here [OURS]. */
export function presentLocation(location: LocationRecord) {
  return {
    id: location.id,
    name: location.name,
    description: "",
    icon: null,
    is_default: location.isDefault,
    is_visible: location.isVisible,
    compute_resources: [],
  };
}

/** What SolusIO computed through the billing integration (§5); all amounts are strings. */
export interface PlanPrice {
  per_hour: string;
  per_month: string;
  additional_ips_per_hour: string;
  additional_ips_per_month: string;
  currency_code: string;
  taxes_inclusive: boolean;
  taxes: { label: string; rate: number }[];
  total_price: string;
  total_price_without_backups: string;
  /** A month of paid backups at the plan's backup_price (0 when the plan has none). */
  backup_price: string;
}

/**
 * A live plan, or the snapshot a server kept of a plan deleted since. `price` is null when not computed.
 * Fields beyond solusio-api.md §5 are those the Go SDK's Plan declares (plans.go), as the plan's create and
 * updates gave them (a deleted plan's snapshot shows the defaults); is_snapshot_available is always false [OURS].
 */
export function presentPlan(plan: PlanRecord | PlanSnapshot, price: PlanPrice | null = null) {
  const live = "isVisible" in plan ? plan : null;
  return {
    id: plan.id,
    name: plan.name,
    virtualization_type: live?.virtualizationType ?? "kvm",
    tokens_per_hour: plan.tokensPerHour,
    tokens_per_month: plan.tokensPerMonth,
    ip_tokens_per_hour: plan.ipTokensPerHour,
    ip_tokens_per_month: plan.ipTokensPerMonth,
    iso_image_tokens_per_hour: live?.isoImageTokensPerHour ?? 0,
    iso_image_tokens_per_month: live?.isoImageTokensPerMonth ?? 0,
    is_additional_ips_available: live?.isAdditionalIpsAvailable ?? false,
    is_backup_available: live?.isBackupAvailable ?? false,
    backup_price: plan.backupPrice,
    is_visible: live?.isVisible ?? false,
    is_default: live?.isDefault ?? false,
    is_snapshot_available: false,
    is_snapshots_enabled: live?.isSnapshotsEnabled ?? false,
    storage_type: live?.storageType ?? "fb",
    image_format: live?.imageFormat ?? "qcow2",
    position: live?.position ?? plan.id,
    reset_limit_policy: live?.resetLimitPolicy ?? "never",
    network_traffic_limit_type: live?.networkTrafficLimitType ?? "separate",
    limits: live ? structuredClone(live.limits) : {},
    params: { ...plan.params },
    price,
  };
}
