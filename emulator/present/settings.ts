import { presentBillingIntegration } from "../billing/billing-integration.ts";
import { DEFAULT_FEATURES, findLimitGroup } from "../state/state.ts";
import type { EmulatorState } from "../state/types.ts";
import { presentLimitGroup } from "./catalog.ts";

/** GET settings: what PATCH settings was sent (solusio-api.md §7), the keys a billing system reads first. */
export function presentSettings(state: EmulatorState) {
  const group =
    state.settings.limitGroupId === null ? undefined : findLimitGroup(state, state.settings.limitGroupId);
  return {
    ...structuredClone(state.settings.other),
    // A state file written before a flag existed answers it at its fresh-install value.
    features: { ...DEFAULT_FEATURES, ...state.settings.features },
    limit_group: group ? presentLimitGroup(group) : null,
    billing_integration: presentBillingIntegration(state.settings.billingIntegration),
  };
}
