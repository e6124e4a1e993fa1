import type { Tx, VerbArgs } from "../../kernel/context.ts";
import { type PricingFacts, type TokenPricing, toTokenPricing } from "./pricing-facts.ts";
import { PricingSnapshot } from "./pricing-snapshot.ts";

/** Pricing facts for one customer, read straight from the database (no cache). */
export async function loadPricingFacts(db: Tx, customerId: bigint): Promise<PricingFacts> {
  return (await PricingSnapshot.load(db, [customerId])).facts(customerId);
}

/** The GetTokenPricing answer for one customer, uncached (the admin API's view of it). */
export async function getTokenPricing({
  ctx,
  input,
}: VerbArgs<{ customerId: bigint }>): Promise<TokenPricing> {
  return toTokenPricing(await loadPricingFacts(ctx.db, input.customerId));
}
