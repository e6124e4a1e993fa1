import type { FastifyRequest } from "fastify";
import type { ServiceContext } from "../../kernel/context.ts";
import { asServiceError } from "../../kernel/errors.ts";
import { listCurrencies } from "../../services/currencies/currencies.ts";
import {
  createPlanPrice,
  deletePlanPrice,
  getPlanPrice,
  listPlanPrices,
  type PlanPrice,
  updatePlanPrice,
} from "../../services/plan-prices/plan-prices.ts";
import { MAX_CALCULATOR_TOKENS_PER_HOUR } from "../../domain/calculator.ts";
import { type PlanTable, pricePlans, TPH_LIST_MAX_LENGTH } from "../../services/pricing/price-calculator.ts";
import type { FieldErrors } from "../render.ts";
import type { ResourcePages } from "./pricing-resource-pages.ts";
import { queryText } from "./page-helpers.ts";
import { sentence } from "../page-sentence.ts";

// Plan prices in tokens (seed step 3), with the seed step 2 calculator beside them: the same table as
// `tokenbill pricing plans`, from the same verb, for the plans' tokens per hour or figures typed in.

const thousands = (n: bigint) => n.toLocaleString("en-US");

export const planPricePages: ResourcePages<PlanPrice> = {
  slug: "plans",
  title: "Plan prices",
  singular: "plan price",
  intro:
    "Token prices per SolusIO plan, by the plan's name. “tokenbill solusio setup” pushes them to the plans of the same name.",
  // A saved price is tokenbill's alone: SolusIO goes on billing the plan at its own price (what its users
  // see and what it charges them) until setup pushes the new one.
  afterSave: {
    text: "SolusIO keeps billing this plan with its own price until the setup pushes the new one:",
    link: { href: "/console/solusio", text: "Apply setup on the SolusIO page" },
  },
  // Setup pushes only the plans priced here (plan-setup.ts): a deleted price leaves SolusIO's plan at the
  // prices last pushed, and Apply setup does not change them, so the save's "until setup" would mislead.
  afterDelete: {
    text: "SolusIO keeps billing this plan at the prices it has now: setup changes only the plans priced here, so Apply setup leaves it as it is. To change what SolusIO bills for it, price it here again and apply setup, or change the plan in SolusIO.",
  },
  headers: [
    { text: "Plan" },
    { text: "Tokens per hour", num: true },
    { text: "Tokens per month", num: true },
    { text: "IP tokens per hour", num: true },
    { text: "IP tokens per month", num: true },
  ],
  keyOf: (p) => String(p.id),
  nameOf: (p) => p.plan_name,
  keyInput: (id) => ({ id }),
  cells: (p) => [
    { text: p.plan_name },
    { text: thousands(p.tokens_per_hour), num: true },
    { text: thousands(p.tokens_per_month), num: true },
    { text: thousands(p.ip_tokens_per_hour), num: true },
    { text: thousands(p.ip_tokens_per_month), num: true },
  ],
  fields: () => [
    { name: "plan_name", label: "Plan name", hint: "The SolusIO plan's name, exactly", required: true },
    { name: "tokens_per_hour", label: "Tokens per hour", inputmode: "numeric", required: true },
    {
      name: "tokens_per_month",
      label: "Tokens per month",
      hint: "The monthly cap; 0 bills hourly only",
      inputmode: "numeric",
      required: true,
    },
    { name: "ip_tokens_per_hour", label: "Tokens per hour per extra IP", inputmode: "numeric" },
    { name: "ip_tokens_per_month", label: "Tokens per month per extra IP", inputmode: "numeric" },
  ],
  valuesOf: (p) => ({
    plan_name: p.plan_name,
    tokens_per_hour: String(p.tokens_per_hour),
    tokens_per_month: String(p.tokens_per_month),
    ip_tokens_per_hour: String(p.ip_tokens_per_hour),
    ip_tokens_per_month: String(p.ip_tokens_per_month),
  }),
  // Token fields go to the verb as typed: whole tokens are parsed there, fractions refused (never rounded).
  inputOf: (f) => ({
    plan_name: (f["plan_name"] ?? "").trim(),
    tokens_per_hour: (f["tokens_per_hour"] ?? "").trim(),
    tokens_per_month: (f["tokens_per_month"] ?? "").trim(),
    ip_tokens_per_hour: (f["ip_tokens_per_hour"] || "0").trim(),
    ip_tokens_per_month: (f["ip_tokens_per_month"] || "0").trim(),
  }),
  verbs: {
    list: listPlanPrices,
    get: getPlanPrice,
    create: createPlanPrice,
    update: updatePlanPrice,
    remove: deletePlanPrice,
  },
  // plan_name is the table's one unique key besides the id (plan_price_plan_name_key).
  uniqueConflict: (f) => ({
    field: "plan_name",
    message: `The plan ${(f["plan_name"] ?? "").trim()} already has a price: edit that one instead.`,
  }),
  extra: async (request, ctx) => ({ calculator: await calculator(request, ctx) }),
};

/** The step 2 table for `?tph=` (else the listed plans' tokens per hour) in `?currency=` (else the default). */
async function calculator(request: FastifyRequest, ctx: ServiceContext) {
  const currencies = (await listCurrencies({ ctx, input: { page: 1, per_page: 500 } })).data.map(
    (c) => c.code,
  );
  const asked = queryText(request, "currency");
  const currency = asked && currencies.includes(asked) ? asked : undefined;
  let tph = queryText(request, "tph") ?? "";
  if (tph === "") {
    const plans = await listPlanPrices({ ctx, input: { page: 1, per_page: 500 } });
    tph = prefilledTokensPerHour(plans.data.map((p) => p.tokens_per_hour));
  }
  const errors: FieldErrors = {};
  let table: PlanTable | undefined;
  if (tph !== "") {
    try {
      table = await pricePlans({ ctx, input: { tph, ...(currency ? { currency } : {}) } });
    } catch (error) {
      const e = asServiceError(error);
      if (e?.code !== "VALIDATION") throw error;
      const tphIssue = e.issues.find((i) => i.field === "tph");
      if (tphIssue) errors["tph"] = sentence(tphIssue.message);
      else errors["form"] = sentence(e.message);
    }
  }
  return {
    tph,
    currency: table?.currency ?? currency ?? ctx.config.DEFAULT_CURRENCY,
    currencies,
    table,
    errors,
  };
}

/**
 * The listed plans' tokens per hour as the calculator's first figures: each once, only those it can price
 * (a stored price beyond its month's limit was prefilled, and the page opened on that figure's error), and
 * only as many as the field takes (60 plans of five digits went past its 400 characters, the same error).
 */
export function prefilledTokensPerHour(tokensPerHour: readonly bigint[]): string {
  const figures = [...new Set(tokensPerHour)].filter((t) => t > 0n && t <= MAX_CALCULATOR_TOKENS_PER_HOUR);
  let list = "";
  for (const figure of figures) {
    const longer = list === "" ? String(figure) : `${list},${figure}`;
    if (longer.length > TPH_LIST_MAX_LENGTH) break;
    list = longer;
  }
  return list;
}
