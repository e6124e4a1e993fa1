import type { FastifyInstance } from "fastify";
import { isServiceError } from "../../errors.ts";
import { createSsoUrl, verifySsoLink } from "../../services/sso/single-sign-on.ts";
import { requireSolusio } from "../../services/sync/require-solusio.ts";
import type { ContextFactory } from "../route.ts";

// GET /sso/solusio?customer=&expires=&sig= — opened by a person's browser: answers are pages, not JSON.

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title: string, message: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#222}
h1{font-size:1.4rem}</style></head><body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p></body></html>`;
}

export function registerSsoRedirect(app: FastifyInstance, contextOf: ContextFactory): void {
  app.get("/sso/solusio", async (request, reply) => {
    const ctx = contextOf(request);
    try {
      const customerId = await verifySsoLink(ctx, request.query as Record<string, unknown>);
      const url = await createSsoUrl(ctx, requireSolusio(ctx).connection, customerId);
      return reply.header("cache-control", "no-store").redirect(url, 302);
    } catch (error) {
      const known = isServiceError(error);
      if (!known) request.log.error({ err: error }, "single sign-on failed");
      const status = !known ? 500 : error.code === "FORBIDDEN" ? 403 : error.code === "NOT_FOUND" ? 404 : 503;
      const title = status === 403 ? "You cannot log in with this link" : "Login is not available right now";
      const message = known ? error.message : "Please try again in a minute.";
      return reply
        .status(status)
        .type("text/html; charset=utf-8")
        .header("cache-control", "no-store")
        .send(page(title, message));
    }
  });
}
