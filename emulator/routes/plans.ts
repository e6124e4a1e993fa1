import { z } from "zod";
import { fieldError, notFound } from "../errors.ts";
import { planPrice, pricingForUser } from "../billing/plan-price.ts";
import { paginate } from "../http/paginate.ts";
import { idParam, listPath } from "../http/params.ts";
import { actorOf, data, noContent, type Route, type RouteContext } from "../http/route.ts";
import { parseInput } from "../http/validate.ts";
import { presentPlan } from "../present/catalog.ts";
import { forgetPlanPrices, limitsFrom, newPlanRecord, notePlanPrices } from "../ops/plans.ts";
import {
  BackupPriceInput,
  NetworkTrafficLimitTypeInput,
  PlanCreate,
  PlanLimitsInput,
  PlanParamsInput,
  PositionInput,
  ResetLimitPolicyInput,
  TokenCountInput,
  VIRTUALIZATION_TYPES,
} from "../schemas.ts";
import { findPlan, liveServers, nextId } from "../state/state.ts";
import type { EmulatorState, PlanRecord } from "../state/types.ts";

// Plans (solusio-api.md §5). `price` is filled through GetTokenPricing for the token owner when a billing
// integration is set and the owner has a billing_user_id; otherwise it is null [OURS]. Users see visible
// plans only; deleting a plan that live servers use is refused [OURS]. Every change of a plan's prices is kept
// with the clock's instant (state.planPrices), so usage prices each hour as the plan stood when it began.

/**
 * `PUT plans/{id}` as the Go SDK shapes it (plans.go PlanUpdateRequest, no omitempty): every field it declares
 * is required, so that a client sending part of a plan, which a SolusIO may refuse or read as "reset the rest",
 * is refused here too [OURS]. Every field is stored and shown back, `limits` replacing the plan's as a whole
 * (ops/plans.ts limitsFrom); an empty `network_traffic_limit_type` (the SDK's zero value) keeps the plan's
 * [OURS]. The fields the SDK does not send stay optional, and keep the plan's when left out.
 */
const PlanUpdate = z.object({
  name: z.string().trim().min(1).max(255),
  limits: PlanLimitsInput,
  tokens_per_hour: TokenCountInput,
  tokens_per_month: TokenCountInput,
  position: PositionInput,
  is_visible: z.boolean(),
  is_default: z.boolean(),
  is_snapshots_enabled: z.boolean(),
  is_backup_available: z.boolean(),
  backup_price: BackupPriceInput,
  reset_limit_policy: ResetLimitPolicyInput,
  network_traffic_limit_type: NetworkTrafficLimitTypeInput,
  ip_tokens_per_hour: TokenCountInput.optional(),
  ip_tokens_per_month: TokenCountInput.optional(),
  iso_image_tokens_per_hour: TokenCountInput.optional(),
  iso_image_tokens_per_month: TokenCountInput.optional(),
  is_additional_ips_available: z.boolean().optional(),
  virtualization_type: z.enum(VIRTUALIZATION_TYPES).optional(),
  params: PlanParamsInput.optional(),
});

function planOr404(ctx: RouteContext, visibleOnly: boolean): PlanRecord {
  const id = idParam(ctx, "Plan");
  const plan = findPlan(ctx.em.state, id);
  if (!plan || (visibleOnly && !plan.isVisible)) throw notFound(`Plan ${id}`);
  return plan;
}

/** Only one default plan at a time. */
function makeDefault(state: EmulatorState, plan: PlanRecord): void {
  for (const p of state.plans) p.isDefault = p.id === plan.id;
}

async function pricedPresenter(ctx: RouteContext) {
  const result = await pricingForUser(ctx.em, actorOf(ctx).user);
  const pricing = result?.ok ? result.pricing : null;
  return (plan: PlanRecord) => presentPlan(plan, pricing ? planPrice(plan, pricing) : null);
}

export const plansRoutes: Route[] = [
  {
    method: "GET",
    path: "/api/v1/plans",
    access: "user",
    handle: async (ctx) => {
      const admin = actorOf(ctx).isAdmin;
      const plans = ctx.em.state.plans.filter((p) => admin || p.isVisible);
      return { status: 200, json: paginate(plans, ctx.query, listPath(ctx), await pricedPresenter(ctx)) };
    },
  },
  {
    method: "GET",
    path: "/api/v1/plans/:id",
    access: "user",
    handle: async (ctx) => {
      const plan = planOr404(ctx, !actorOf(ctx).isAdmin);
      return data((await pricedPresenter(ctx))(plan));
    },
  },
  {
    method: "POST",
    path: "/api/v1/plans",
    access: "admin",
    handle: (ctx) => {
      const body = parseInput(PlanCreate, ctx.body);
      const plan = newPlanRecord(nextId(ctx.em.state, "plan"), body, ctx.em.now().toISOString());
      plan.isDefault = false;
      ctx.em.state.plans.push(plan);
      notePlanPrices(ctx.em.state, plan, plan.createdAt);
      if (body.is_default) makeDefault(ctx.em.state, plan);
      return data(presentPlan(plan), 201);
    },
  },
  {
    method: "PUT",
    path: "/api/v1/plans/:id",
    access: "admin",
    handle: (ctx) => {
      const plan = planOr404(ctx, false);
      const b = parseInput(PlanUpdate, ctx.body);
      plan.name = b.name;
      plan.tokensPerHour = b.tokens_per_hour;
      plan.tokensPerMonth = b.tokens_per_month;
      if (b.ip_tokens_per_hour !== undefined) plan.ipTokensPerHour = b.ip_tokens_per_hour;
      if (b.ip_tokens_per_month !== undefined) plan.ipTokensPerMonth = b.ip_tokens_per_month;
      if (b.iso_image_tokens_per_hour !== undefined) plan.isoImageTokensPerHour = b.iso_image_tokens_per_hour;
      if (b.iso_image_tokens_per_month !== undefined)
        plan.isoImageTokensPerMonth = b.iso_image_tokens_per_month;
      if (b.is_additional_ips_available !== undefined)
        plan.isAdditionalIpsAvailable = b.is_additional_ips_available;
      plan.isBackupAvailable = b.is_backup_available;
      plan.backupPrice = b.backup_price;
      plan.limits = limitsFrom(b.limits);
      plan.position = b.position;
      plan.isSnapshotsEnabled = b.is_snapshots_enabled;
      plan.resetLimitPolicy = b.reset_limit_policy;
      if (b.network_traffic_limit_type !== "") plan.networkTrafficLimitType = b.network_traffic_limit_type;
      if (b.virtualization_type !== undefined) plan.virtualizationType = b.virtualization_type;
      plan.isVisible = b.is_visible;
      if (b.params !== undefined) plan.params = b.params;
      if (b.is_default) makeDefault(ctx.em.state, plan);
      else plan.isDefault = false;
      plan.updatedAt = ctx.em.now().toISOString();
      // Hours that begin from now on are charged at the new prices; those begun before keep theirs (§2.2).
      notePlanPrices(ctx.em.state, plan, plan.updatedAt);
      return data(presentPlan(plan));
    },
  },
  {
    method: "DELETE",
    path: "/api/v1/plans/:id",
    access: "admin",
    handle: (ctx) => {
      const plan = planOr404(ctx, false);
      const users = liveServers(ctx.em.state).filter((s) => s.planId === plan.id).length;
      if (users > 0)
        throw fieldError("plan", `Plan ${plan.id} is used by ${users} server(s); delete or move them first.`);
      ctx.em.state.plans = ctx.em.state.plans.filter((p) => p.id !== plan.id);
      forgetPlanPrices(ctx.em.state, plan.id);
      return noContent();
    },
  },
];
