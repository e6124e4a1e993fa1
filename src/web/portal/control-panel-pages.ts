import type { FastifyInstance } from "fastify";
import { openControlPanel } from "../../services/portal/portal-control-panel.ts";
import type { WebDeps } from "../web-deps.ts";
import { CUSTOMER } from "./portal-notices.ts";

// "Open control panel" (seed step 9): a POST, so the one-time login URL is made only when the customer
// asks for it (never by a link prefetch) and never sits in a page; the browser is sent straight to it.

export function registerPortalControlPanelPages(app: FastifyInstance, deps: WebDeps): void {
  app.post(
    "/portal/control-panel",
    { ...CUSTOMER, preHandler: app.csrfProtection },
    async (request, reply) => {
      const { url } = await openControlPanel({ ctx: deps.contextOf(request), input: {} });
      return reply.header("cache-control", "no-store").redirect(url, 303);
    },
  );
}
