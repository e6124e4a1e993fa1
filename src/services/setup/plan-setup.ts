import type { Kysely } from "kysely";
import type { Config } from "../../config.ts";
import type { Database } from "../../db/schema.ts";
import { UpstreamError } from "../../kernel/errors.ts";
import { activePricingDriver } from "../../solusio/billing-integration.ts";
import { recordPlanPrices } from "../../billing/usage/plan-price-changes.ts";
import { type SolusioLimitGroup, SolusioPlanOfServer } from "../../solusio/schemas.ts";
import { limitOf, type PlanPrices, type SolusioApi } from "../../solusio/solusio-api.ts";
import { billingIntegrationManualSteps, checkBillingIntegration } from "./billing-integration-check.ts";
import { pricingUrl } from "./pricing-url.ts";

export { pricingUrl };

// `tokenbill solusio setup` (seed steps 3, 4, 5, 7): compare SolusIO with what tokenbill wants and list the
// differences; `--apply` carries them out. Each step re-reads nothing it was not shown: apply uses the
// values the diff printed, and a second run finds nothing to do.

export interface SetupStep {
  key: string;
  /** What is wrong now, in words a person reads. */
  summary: string;
  current: unknown;
  desired: unknown;
  apply(): Promise<void>;
}

export interface SetupReport {
  steps: SetupStep[];
  /** Things setup cannot do itself (for example a priced plan that SolusIO does not have). */
  warnings: string[];
  /** What to do about the warnings: each kind's own fix, once, in the order first met (the doctor's advice). */
  fixes: string[];
  /**
   * Seed step 7 by hand, whenever setup has to set the billing integration: the value it writes for
   * "Custom billing" is a guess (solusio-api.md §7), so the operator is told how to set it in SolusIO's UI.
   */
  manualSteps: string[];
}

function limitsDiffer(g: SolusioLimitGroup, spec: Config["SOLUSIO_LIMIT_GROUPS"][number]): boolean {
  const same = (a: { limit: number; is_enabled: boolean } | undefined, n: number) =>
    !!a && a.is_enabled === limitOf(n).is_enabled && (!a.is_enabled || a.limit === limitOf(n).limit);
  return !(
    same(g.vms, spec.vms) &&
    same(g.running_vms, spec.running_vms) &&
    same(g.additional_ips, spec.additional_ips)
  );
}

const PLAN_TOKEN_FIELDS = [
  "tokens_per_hour",
  "tokens_per_month",
  "ip_tokens_per_hour",
  "ip_tokens_per_month",
] as const;

/**
 * SolusIO's plans carry token prices as JSON numbers (solusio-api.md §5; tokenbill reads them, and the emulator
 * takes them, as safe integers): a price beyond 2^53 − 1 would arrive as another number, so it is not sent.
 */
export const MAX_PLAN_TOKENS_IN_SOLUSIO = BigInt(Number.MAX_SAFE_INTEGER);

// Each warning's own fix: the doctor gave both sentences to either failure (until 2026-12-06).
const MISSING_PLAN_FIX = "create the plan in SolusIO or remove its price";
const INEXACT_PRICE_FIX = `lower a token price beyond ${MAX_PLAN_TOKENS_IN_SOLUSIO}, which SolusIO cannot take exactly`;

export async function planSetup(deps: {
  db: Kysely<Database>;
  api: SolusioApi;
  config: Config;
}): Promise<SetupReport> {
  const { api, config, db } = deps;
  const steps: SetupStep[] = [];
  const warnings: string[] = [];
  const fixes = new Set<string>();
  const settings = await api.getSettings();

  if (settings.features?.allow_registration !== false) {
    steps.push({
      key: "registration",
      summary: "self-registration in the user area is on; billing must be the only way in (seed step 4)",
      current: settings.features?.allow_registration ?? null,
      desired: false,
      // Whether PATCH merges nested objects is unverified (solusio-api.md §7): send back every flag as
      // read, with this one changed, so none of the others can be reset.
      apply: async () =>
        void (await api.patchSettings({ features: { ...settings.features, allow_registration: false } })),
    });
  }

  // Needed only when SolusIO does not call tokenbill yet, under whatever type (billing-integration-check.ts):
  // an integration the operator set up by hand that works is never replaced by our guess.
  const billing = checkBillingIntegration(settings, config);
  let manualSteps: string[] = [];
  if (!billing.ok) {
    const active = activePricingDriver(settings);
    const wanted = billing.desired;
    const wantedDriver = Object.values(wanted.drivers)[0];
    manualSteps = billingIntegrationManualSteps(config);
    steps.push({
      key: "billing_integration",
      summary: `the billing integration must call ${pricingUrl(config)} (seed step 7): ${billing.detail}`,
      // null, not undefined, when SolusIO has none: undefined vanished from --json and printed as "undefined".
      current: active
        ? {
            type: active.type,
            url: active.url,
            token: !active.token.shown ? "(not shown)" : active.token.value ? "(set)" : "(none)",
          }
        : null,
      desired: { type: wanted.type, url: wantedDriver?.url, token: wantedDriver?.token ? "(set)" : "(none)" },
      apply: async () => void (await api.patchSettings({ billing_integration: wanted })),
    });
  }

  const groups = await api.listLimitGroups();
  for (const spec of config.SOLUSIO_LIMIT_GROUPS) {
    const existing = groups.find((g) => g.name === spec.name);
    if (!existing) {
      steps.push({
        key: `limit_group:${spec.name}`,
        summary: `limit group "${spec.name}" is missing (seed step 5)`,
        current: null,
        desired: spec,
        apply: async () => void (await api.createLimitGroup(spec)),
      });
    } else if (limitsDiffer(existing, spec)) {
      steps.push({
        key: `limit_group:${spec.name}`,
        summary: `limit group "${spec.name}" has other limits than configured`,
        current: {
          vms: existing.vms,
          running_vms: existing.running_vms,
          additional_ips: existing.additional_ips,
        },
        desired: spec,
        apply: async () => void (await api.updateLimitGroup(existing.id, spec)),
      });
    }
  }
  const defaultName = config.SOLUSIO_DEFAULT_LIMIT_GROUP;
  if (defaultName && settings.limit_group?.name !== defaultName) {
    steps.push({
      key: "default_limit_group",
      summary: `new users must get the limit group "${defaultName}"`,
      current: settings.limit_group?.name ?? null,
      desired: defaultName,
      // The group may only exist once the step above has run: look its id up when applying.
      apply: async () => {
        const group = (await api.listLimitGroups()).find((g) => g.name === defaultName);
        if (!group) throw new Error(`limit group ${defaultName} does not exist in SolusIO`);
        await api.patchSettings({ limit_group_id: group.id });
      },
    });
  }

  const prices = await db.selectFrom("plan_price").selectAll().orderBy("plan_name").execute();
  let readAt: Date | null = null;
  const plans = await api.listPlans((date) => {
    readAt = date;
  });
  // A read of the plans, as the server's poll records each (billing-rules §2.2): setup and doctor saw prices
  // too, and a re-price seen only by them counted from the next poll. Without a Date header, our clock.
  const priced = plans.flatMap((p) => {
    const read = SolusioPlanOfServer.safeParse(p);
    return read.success ? [read.data] : [];
  });
  await recordPlanPrices(db, priced, readAt ?? new Date(), "read");
  for (const price of prices) {
    const plan = plans.find((p) => p.name === price.plan_name);
    if (!plan) {
      warnings.push(`plan "${price.plan_name}" has a price in tokenbill but does not exist in SolusIO`);
      fixes.add(MISSING_PLAN_FIX);
      continue;
    }
    const beyond = PLAN_TOKEN_FIELDS.find((f) => price[f] > MAX_PLAN_TOKENS_IN_SOLUSIO);
    if (beyond) {
      warnings.push(
        `plan "${price.plan_name}" is not priced in SolusIO: its ${beyond} is ${price[beyond]} tokens, and SolusIO's plans take token prices as JSON numbers, exact only up to ${MAX_PLAN_TOKENS_IN_SOLUSIO}`,
      );
      fixes.add(INEXACT_PRICE_FIX);
      continue;
    }
    // Exact: every field is at most 2^53 − 1 (checked above).
    const desired: PlanPrices = {
      tokens_per_hour: Number(price.tokens_per_hour),
      tokens_per_month: Number(price.tokens_per_month),
      ip_tokens_per_hour: Number(price.ip_tokens_per_hour),
      ip_tokens_per_month: Number(price.ip_tokens_per_month),
    };
    const currentPrices: PlanPrices = {
      tokens_per_hour: plan.tokens_per_hour,
      tokens_per_month: plan.tokens_per_month,
      ip_tokens_per_hour: plan.ip_tokens_per_hour,
      ip_tokens_per_month: plan.ip_tokens_per_month,
    };
    if (JSON.stringify(desired) !== JSON.stringify(currentPrices)) {
      steps.push({
        key: `plan:${plan.name}`,
        summary: `plan "${plan.name}" has other token prices than tokenbill's price list (seed step 3)`,
        current: currentPrices,
        desired,
        apply: async () => {
          let at: Date | null = null;
          const answer = await api.updatePlanPrices(plan.id, desired, (date) => {
            at = date;
          });
          // Usage source (c) prices hours from this instant on at the new prices (billing-rules §2.2). Without
          // a Date header, tokenbill's clock is the best there is.
          const pushed = SolusioPlanOfServer.safeParse(answer);
          if (pushed.success) await recordPlanPrices(db, [pushed.data], at ?? new Date(), "pushed");
        },
      });
    }
  }
  return { steps, warnings, fixes: [...fixes], manualSteps };
}

/** Applies every step in order; stops at the first failure and says which. */
export async function applySetup(report: SetupReport): Promise<string[]> {
  const applied: string[] = [];
  for (const step of report.steps) {
    try {
      await step.apply();
    } catch (error) {
      const where = `setup step ${step.key} failed after ${applied.length} applied`;
      // SolusIO's refusal stays one, so that a command says it in one line with its exit code (6 for a 5xx or
      // no answer, as a failed read): wrapped in a plain Error it was an internal error with a stack trace.
      // Its cause keeps what the advice reads (why no answer came, Retry-After: solusio-failure-fix.ts).
      if (error instanceof UpstreamError)
        throw Object.assign(
          new UpstreamError(error.upstream, `${error.message} (${where})`, error.status, error.retryable),
          { cause: error },
        );
      throw new Error(`${where}: ${(error as Error).message}`);
    }
    applied.push(step.key);
  }
  return applied;
}
