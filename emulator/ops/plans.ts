import type { z } from "zod";
import { PLAN_LIMIT_UNITS, type PlanCreate, type PlanLimitsInput } from "../schemas.ts";
import type { EmulatorState, PlanLimit, PlanRecord, PlanTokens } from "../state/types.ts";

// Plan records from what POST plans or a seed gives (solusio-api.md §5). Shared so that both build the
// same record with the same defaults.

/**
 * A plan's limits from what a create or an update sent: every limit the Go SDK declares, disabled with the
 * unit it defaults to, then the ones sent over them. An update replaces the plan's limits as a whole, as its
 * PUT replaces the plan (the SDK always sends every limit): one it leaves out is back to disabled [OURS].
 */
export function limitsFrom(input: z.output<typeof PlanLimitsInput>): Record<string, PlanLimit> {
  const limits: Record<string, PlanLimit> = {};
  for (const [name, unit] of Object.entries(PLAN_LIMIT_UNITS)) {
    limits[name] = { is_enabled: false, limit: 0, unit };
  }
  for (const [name, l] of Object.entries(input)) {
    limits[name] = {
      is_enabled: l.is_enabled,
      limit: l.limit,
      unit: l.unit || (PLAN_LIMIT_UNITS[name] ?? "units"),
    };
  }
  return limits;
}

export function newPlanRecord(id: number, body: z.output<typeof PlanCreate>, at: string): PlanRecord {
  return {
    id,
    name: body.name,
    tokensPerHour: body.tokens_per_hour,
    tokensPerMonth: body.tokens_per_month,
    ipTokensPerHour: body.ip_tokens_per_hour,
    ipTokensPerMonth: body.ip_tokens_per_month,
    backupPrice: body.backup_price,
    isoImageTokensPerHour: body.iso_image_tokens_per_hour,
    isoImageTokensPerMonth: body.iso_image_tokens_per_month,
    isAdditionalIpsAvailable: body.is_additional_ips_available,
    isBackupAvailable: body.is_backup_available,
    limits: limitsFrom(body.limits),
    virtualizationType: body.virtualization_type,
    isVisible: body.is_visible,
    isDefault: body.is_default,
    params: body.params,
    position: body.position ?? id,
    isSnapshotsEnabled: body.is_snapshots_enabled,
    resetLimitPolicy: body.reset_limit_policy,
    networkTrafficLimitType: body.network_traffic_limit_type || "separate",
    storageType: body.storage_type,
    imageFormat: body.image_format,
    createdAt: at,
    updatedAt: at,
  };
}

/** The prices a server on the plan is billed by, and nothing else of the plan. */
export function planTokensOf(plan: PlanTokens): PlanTokens {
  return {
    tokensPerHour: plan.tokensPerHour,
    tokensPerMonth: plan.tokensPerMonth,
    ipTokensPerHour: plan.ipTokensPerHour,
    ipTokensPerMonth: plan.ipTokensPerMonth,
    backupPrice: plan.backupPrice,
  };
}

/** Whether two price sets bill alike: the key of a usage item's price segment (billing-rules §2.2). */
export function priceKey(planId: number, prices: PlanTokens): string {
  const p = planTokensOf(prices);
  return [
    planId,
    p.tokensPerHour,
    p.tokensPerMonth,
    p.ipTokensPerHour,
    p.ipTokensPerMonth,
    p.backupPrice,
  ].join("|");
}

/**
 * Adds the plan's prices to its price history at `at` (the emulator clock), unless they are the prices it
 * last recorded: a plan created, or a PUT that changed a price. Renaming or hiding a plan changes no price.
 */
export function notePlanPrices(state: EmulatorState, plan: PlanRecord, at: string): void {
  const last = [...state.planPrices].reverse().find((c) => c.planId === plan.id);
  if (last && priceKey(plan.id, last) === priceKey(plan.id, plan)) return;
  if (last && !state.servers.some((s) => s.planHistory.some((i) => i.planId === plan.id))) {
    // No server has been on the plan, so no hour was sold at its earlier prices: they are no history, and the
    // new ones hold from its first record (its creation). The sandbox makes its plans without prices and
    // setup prices them a moment later; with the clock set back a month, every hour before that moment was
    // priced at 0 (until 2026-12-06, the README's example invoice came to $0.00).
    const first = state.planPrices.find((c) => c.planId === plan.id) ?? last;
    for (let i = state.planPrices.length - 1; i >= 0; i--)
      if (state.planPrices[i]!.planId === plan.id) state.planPrices.splice(i, 1);
    state.planPrices.push({ planId: plan.id, at: first.at, ...planTokensOf(plan) });
    return;
  }
  state.planPrices.push({ planId: plan.id, at, ...planTokensOf(plan) });
  trimPlanPrices(state, plan.id);
}

/**
 * How many price changes a plan keeps [OURS]: a client re-pricing a plan in a loop must not grow the state
 * (and its file) without end. Past it the plan's first record goes: the next one then holds from the
 * beginning of time (price-segments.ts), so only hours older than the oldest change kept are priced otherwise.
 */
export const MAX_PRICE_CHANGES_PER_PLAN = 1000;

function trimPlanPrices(state: EmulatorState, planId: number): void {
  let count = 0;
  for (const c of state.planPrices) if (c.planId === planId) count++;
  while (count > MAX_PRICE_CHANGES_PER_PLAN) {
    state.planPrices.splice(
      state.planPrices.findIndex((c) => c.planId === planId),
      1,
    );
    count--;
  }
}

/** A deleted plan's price history, unless a server was ever on it (its usage still needs the prices). */
export function forgetPlanPrices(state: EmulatorState, planId: number): void {
  if (state.servers.some((s) => s.planHistory.some((i) => i.planId === planId))) return;
  state.planPrices = state.planPrices.filter((c) => c.planId !== planId);
}
