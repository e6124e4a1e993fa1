import type { FastifyInstance } from "fastify";
import { customerPage } from "../page-kit.ts";
import type { WebDeps } from "../web-deps.ts";

const CUSTOMER = { config: { access: "customer" as const } };

export function registerPortalOverviewPages(app: FastifyInstance, deps: WebDeps): void {
  app.get("/portal", CUSTOMER, async (request, reply) =>
    customerPage(deps, request, reply, "portal-home", { title: "Your account" }),
  );
}
