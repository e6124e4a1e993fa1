import type { FastifyReply } from "fastify";
import type { Config } from "../config.ts";
import { paymentProviderOf } from "../billing/providers/provider-from-config.ts";
import type { ServiceContext } from "../kernel/context.ts";

// Three forms end on another site: the portal's "Pay now" (303 to the payment provider's page) and "Open
// control panel", and the console's "Log in to SolusIO as this customer" (both 303 to the SolusIO user
// area). Browsers apply the page's CSP `form-action` to every redirect of a form's submission, and the
// site-wide policy says 'self' only, so the pages holding those forms name the one other origin each may
// lead to — and nothing more.

/** Where a provider's hosted payment page lives (Stripe Checkout). */
const CHECKOUT_ORIGINS: Record<string, string> = { stripe: "https://checkout.stripe.com" };

export async function checkoutOrigin(config: Config): Promise<string | undefined> {
  const provider = await paymentProviderOf(config);
  return provider ? CHECKOUT_ORIGINS[provider.name] : undefined;
}

export function controlPanelOrigin(ctx: ServiceContext): string | undefined {
  const url = ctx.solusio?.connection.userAreaUrl;
  if (!url) return undefined;
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}

/**
 * Widens this answer's `form-action` by `origins`. Helmet sets its headers on the raw response before the
 * handler runs; a header set on the reply takes precedence when the answer is written.
 */
export function allowFormRedirects(reply: FastifyReply, origins: (string | undefined)[]): void {
  const extra = origins.filter((o): o is string => o !== undefined && /^https?:\/\/[^\s;'"]+$/.test(o));
  const policy = reply.getHeader("content-security-policy") ?? reply.raw.getHeader("content-security-policy");
  if (extra.length === 0 || typeof policy !== "string") return;
  reply.header(
    "content-security-policy",
    policy.replace(/form-action 'self'/, `form-action 'self' ${[...new Set(extra)].join(" ")}`),
  );
}
