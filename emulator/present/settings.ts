import { presentBillingIntegration } from "../billing/billing-integration.ts";
import { findLimitGroup } from "../state/state.ts";
import type { EmulatorState } from "../state/types.ts";
import { presentLimitGroup } from "./catalog.ts";

/** The keys of GET settings that matter to a billing system (solusio-api.md §7). */
export function presentSettings(state: EmulatorState) {
  const group =
    state.settings.limitGroupId === null ? undefined : findLimitGroup(state, state.settings.limitGroupId);
  return {
    features: { allow_registration: state.settings.allowRegistration },
    limit_group: group ? presentLimitGroup(group) : null,
    billing_integration: presentBillingIntegration(state.settings.billingIntegration),
  };
}
