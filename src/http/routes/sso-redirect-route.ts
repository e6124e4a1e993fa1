import type { FastifyInstance } from "fastify";
import { isServiceError } from "../../kernel/errors.ts";
import { actors } from "../../kernel/actor.ts";
import { createSsoUrl } from "../../services/sso/single-sign-on.ts";
import { redeemSsoLink } from "../../services/sso/sso-link.ts";
import { ssoUnavailable } from "../../services/sso/sso-unavailable.ts";
import { requireSolusio } from "../../services/sync/require-solusio.ts";
import { escapeHtml } from "../../billing/documents/html-escape.ts";
import { PAGE_ICON_LINK } from "../../billing/documents/page-icon.ts";
import { headersOfCode, logUpstreamFailure, ProtocolError } from "../errors.ts";
import type { ContextFactory } from "../route.ts";
import type { CredentialFailureLog } from "../credential-failure-log.ts";
import type { SecretFailureLimiter } from "../secret-failure-limiter.ts";

// GET /sso/solusio?customer=&expires=&sig= — opened by a person's browser: answers are pages, not JSON, with
// our icon inline, so the browser asks for no /favicon.ico (which no route answers).

function page(title: string, message: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
${PAGE_ICON_LINK}<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#222}
h1{font-size:1.4rem}</style></head><body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p></body></html>`;
}

/**
 * What a person sees when the link does not log them in; never an internal detail. Refusals of the link or
 * the account (403, 404, 409) are worded for the person already; SolusIO failing is one fixed sentence
 * (SolusIO's own words, host names included, go to the log); anything else is our fault, a 500.
 */
function pageFor(error: unknown): {
  status: number;
  title: string;
  message: string;
  headers: Record<string, string>;
} {
  const refused = "You cannot log in with this link";
  const unavailable = "Login is not available right now";
  if (error instanceof ProtocolError)
    return { status: 429, title: unavailable, message: error.message, headers: error.headers };
  const outside = ssoUnavailable(error);
  if (outside)
    return {
      status: 503,
      title: unavailable,
      message: outside.message,
      headers: headersOfCode("UPSTREAM_UNAVAILABLE"),
    };
  const status = isServiceError(error)
    ? { FORBIDDEN: 403, NOT_FOUND: 404, CONFLICT: 409 }[error.code as string]
    : undefined;
  if (status === undefined)
    return { status: 500, title: unavailable, message: "Please try again in a minute.", headers: {} };
  return {
    status,
    title: status === 403 ? refused : unavailable,
    message: (error as Error).message,
    headers: {},
  };
}

export function registerSsoRedirect(
  app: FastifyInstance,
  contextOf: ContextFactory,
  limiter: SecretFailureLimiter,
  credentialFailures?: CredentialFailureLog,
): void {
  // Public: a person's browser opens it; the link's signature is the credential (and counts when wrong).
  // A GET that writes: the link's use, and SolusIO's login call to the call log (newer-schema-refusal.ts).
  app.get("/sso/solusio", { config: { access: "public", writes: true } }, async (request, reply) => {
    const ctx = contextOf(request);
    try {
      const url = await limiter.guard(`sso-link:${request.ip}`, () =>
        redeemSsoLink(ctx, request.query as Record<string, unknown>, (customerId) =>
          // The checked link is the customer's credential: from here on the customer is acting.
          createSsoUrl(
            { ...ctx, actor: actors.customer(customerId) },
            requireSolusio(ctx).connection,
            customerId,
          ),
        ),
      );
      return reply.header("cache-control", "no-store").redirect(url, 302);
    } catch (error) {
      const { status, title, message, headers } = pageFor(error);
      // A link refused (what the limiter counts: a bad signature, an expired or used link) or the limit's
      // refusal is a failed credential, logged without the link (until 2026-12-06 it was not logged).
      const refused = isServiceError(error) && (error.code === "FORBIDDEN" || error.code === "UNAUTHORIZED");
      if (refused || status === 429)
        credentialFailures?.record({
          route: "GET /sso/solusio",
          address: request.ip,
          reason: status === 429 ? "rate limited" : "bad or expired link",
        });
      if (status === 503) logUpstreamFailure(request.log, error, request.id);
      if (status === 500) request.log.error({ err: error, requestId: request.id }, "single sign-on failed");
      return reply
        .status(status)
        .headers(headers)
        .type("text/html; charset=utf-8")
        .header("cache-control", "no-store")
        .send(page(title, message));
    }
  });
}
