import type { FastifyInstance } from "fastify";
import { staffPage } from "../page-kit.ts";
import type { WebDeps } from "../web-deps.ts";

const STAFF = { config: { access: "staff" as const } };

export function registerDashboardPages(app: FastifyInstance, deps: WebDeps): void {
  app.get("/console", STAFF, async (request, reply) =>
    staffPage(deps, request, reply, "console-home", { title: "Dashboard" }),
  );
}
