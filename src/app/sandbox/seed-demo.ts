import type { ServiceContext } from "../../kernel/context.ts";
import { createClientGroup } from "../../services/client-groups/client-groups.ts";
import { createCustomer } from "../../services/customers/customers.ts";
import { createDiscount } from "../../services/discounts/discounts.ts";
import { createPlanPrice } from "../../services/plan-prices/plan-prices.ts";
import { createTaxRule } from "../../services/tax-rules/tax-rules.ts";
import { SANDBOX_PLANS } from "./start-sandbox.ts";

/**
 * A small demo book for the sandbox, created once (when there are no customers yet) through the same
 * services the admin API uses: the seed's plan prices, a client group with a discount, taxes, customers.
 */
export async function seedDemo(ctx: ServiceContext): Promise<{ created: boolean }> {
  const any = await ctx.db.selectFrom("customer").select("id").limit(1).executeTakeFirst();
  if (any) return { created: false };
  for (const plan of SANDBOX_PLANS) {
    const exists = await ctx.db
      .selectFrom("plan_price")
      .select("id")
      .where("plan_name", "=", plan.name)
      .executeTakeFirst();
    if (!exists) {
      await createPlanPrice({
        ctx,
        input: {
          plan_name: plan.name,
          tokens_per_hour: BigInt(plan.tph),
          tokens_per_month: BigInt(plan.tpm),
          ip_tokens_per_hour: 1n,
          ip_tokens_per_month: 500n,
        },
      });
    }
  }
  await createTaxRule({
    ctx,
    input: {
      name: "UK city and state tax",
      compound: true,
      country: "GB",
      region: null,
      is_default: false,
      rates: [
        { label: "City Tax", rate: "6" },
        { label: "State Tax", rate: "2" },
      ],
    },
  });
  await createTaxRule({
    ctx,
    input: {
      name: "Germany VAT",
      compound: false,
      country: "DE",
      region: null,
      is_default: false,
      rates: [{ label: "VAT", rate: "19" }],
    },
  });
  const group = await createClientGroup({
    ctx,
    input: { name: "Special Clients", description: "long-standing customers" },
  });
  await createDiscount({
    ctx,
    input: {
      name: "Special Client Group Discount",
      description: "5% Recurring Discount",
      multiplier: "0.95",
      client_group_id: BigInt(group.id),
      position: 0,
    },
  });
  const base = {
    name: "",
    region: null,
    tax_exempt: false,
    status: "active" as const,
    tax_rule_id: null,
  };
  await createCustomer({
    ctx,
    input: {
      ...base,
      email: "ada@example.com",
      name: "Ada Lovelace",
      country: "GB",
      currency: "USD",
      client_group_id: BigInt(group.id),
    },
  });
  await createCustomer({
    ctx,
    input: {
      ...base,
      email: "bert@example.com",
      name: "Bert Brecht",
      country: "DE",
      currency: "EUR",
      client_group_id: null,
    },
  });
  await createCustomer({
    ctx,
    input: {
      ...base,
      email: "cleo@example.com",
      name: "Cleo Exempt",
      country: "US",
      currency: "USD",
      tax_exempt: true,
      client_group_id: null,
    },
  });
  return { created: true };
}
