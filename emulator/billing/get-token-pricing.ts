import { z } from "zod";

// SolusIO → billing system: GetTokenPricing (solusio-api.md §8, seed step 6). A form-urlencoded POST with
// the configured token, action and the user's billing_user_id; a short timeout, because a page waits on it.
// Any failure (down, slow, non-JSON, wrong shape) comes back as a reason, never as an exception.

const Currency = z.object({
  code: z.string().min(1),
  display_prefix: z.string().default(""),
  display_suffix: z.string().default(""),
  thousands_separator: z.string().default(","),
  decimals_separator: z.string().default("."),
  /** [OURS] extra key; 2 when absent. */
  decimals: z.int().min(0).max(12).default(2),
});

export const TokenPricing = z.object({
  base_token_unit_cost: z.number().nonnegative(),
  user_token_unit_cost: z.number().nonnegative(),
  currency: Currency,
  // `multipler` (sic) is the contract's spelling: SolusIO reads that key.
  discounts: z
    .array(z.object({ name: z.string(), description: z.string().default(""), multipler: z.number() }))
    .default([]),
  taxes: z
    .object({
      compound: z.boolean().default(false),
      rates: z.array(z.object({ label: z.string(), rate: z.number() })).default([]),
    })
    .default({ compound: false, rates: [] }),
});
export type TokenPricing = z.output<typeof TokenPricing>;

export type PricingResult = { ok: true; pricing: TokenPricing } | { ok: false; reason: string };

export async function getTokenPricing(
  endpoint: { url: string; token: string | null },
  billingUserId: number,
  timeoutMs: number,
): Promise<PricingResult> {
  const form = new URLSearchParams();
  if (endpoint.token) form.set("token", endpoint.token);
  form.set("action", "GetTokenPricing");
  form.set("userid", String(billingUserId));
  let response: Response;
  try {
    response = await fetch(endpoint.url, {
      method: "POST",
      headers: { accept: "application/json", "content-type": "application/x-www-form-urlencoded" },
      body: form.toString(),
      signal: AbortSignal.timeout(timeoutMs),
      redirect: "error",
    });
  } catch (e) {
    const name = (e as Error).name;
    return {
      ok: false,
      reason:
        name === "TimeoutError" ? `no answer within ${timeoutMs} ms` : "the billing system cannot be reached",
    };
  }
  const text = await response.text().catch(() => "");
  if (!response.ok) return { ok: false, reason: `the billing system answered HTTP ${response.status}` };
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { ok: false, reason: "the billing system did not answer with JSON" };
  }
  const parsed = TokenPricing.safeParse(body);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    return {
      ok: false,
      reason: `the billing system's answer is malformed (${first?.path.join(".") || "body"}: ${first?.message})`,
    };
  }
  return { ok: true, pricing: parsed.data };
}
