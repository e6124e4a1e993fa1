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

export function presentLocation(location: LocationRecord) {
  return {
    id: location.id,
    name: location.name,
    is_default: location.isDefault,
    is_visible: location.isVisible,
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
}

/** A live plan, or the snapshot a server kept of a plan deleted since. `price` is null when not computed. */
export function presentPlan(plan: PlanRecord | PlanSnapshot, price: PlanPrice | null = null) {
  const live = "isVisible" in plan ? plan : null;
  return {
    id: plan.id,
    name: plan.name,
    tokens_per_hour: plan.tokensPerHour,
    tokens_per_month: plan.tokensPerMonth,
    ip_tokens_per_hour: plan.ipTokensPerHour,
    ip_tokens_per_month: plan.ipTokensPerMonth,
    is_additional_ips_available: live?.isAdditionalIpsAvailable ?? false,
    is_visible: live?.isVisible ?? false,
    is_default: live?.isDefault ?? false,
    params: { ...plan.params },
    price,
  };
}
