import { randomBytes } from "node:crypto";
import formbody from "@fastify/formbody";
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyRequest,
} from "fastify";
import { sql } from "kysely";
import type { Kysely } from "kysely";
import type { Logger } from "pino";
import type { Config } from "../config.ts";
import type { Database } from "../db/schema.ts";
import { ServiceError } from "../errors.ts";
import { authenticateAdminKey } from "../services/api-keys/api-keys.ts";
import type { ServiceContext } from "../services/context.ts";
import { PricingIndex } from "../services/pricing/pricing-index.ts";
import { sendError } from "./errors.ts";
import { stringifyJson } from "./json.ts";
import { buildOpenApi } from "./openapi.ts";
import { registerRoutes, type AnyRouteSpec } from "./route.ts";
import { registerGetTokenPricing } from "./routes/get-token-pricing-route.ts";
import { billingRoutes } from "./routes/billing-routes.ts";
import { pricingRoutes } from "./routes/pricing-routes.ts";
import { resourceRoutes } from "./routes/resources.ts";
import { solusioRoutes } from "./routes/solusio-routes.ts";
import { registerSsoRedirect } from "./routes/sso-redirect-route.ts";
import type { SolusioIntegration } from "../solusio/integration.ts";

export interface ServerDeps {
  config: Config;
  db: Kysely<Database>;
  logger: Logger;
  now?: () => Date;
  solusio?: SolusioIntegration | undefined;
  /** Called after each successful admin write, so queued jobs (user sync) start at once. */
  onWrite?: () => void;
}

declare module "fastify" {
  interface FastifyRequest {
    actor?: string;
  }
}

export const adminRoutes: AnyRouteSpec[] = [
  ...resourceRoutes,
  ...pricingRoutes,
  ...solusioRoutes,
  ...billingRoutes,
];

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

export async function buildServer(deps: ServerDeps): Promise<FastifyInstance> {
  const { config, db, logger } = deps;
  const now = deps.now ?? (() => new Date());
  const pricingIndex = new PricingIndex(db, config.PRICING_REFRESH_MS, logger);

  const app = Fastify({
    loggerInstance: logger as unknown as FastifyBaseLogger,
    // Per-request logs would dominate the GetTokenPricing hot path; errors are logged where they happen.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 1024 * 1024,
    genReqId: (req) => {
      const given = req.headers["x-request-id"];
      return typeof given === "string" && REQUEST_ID.test(given)
        ? given
        : `req_${randomBytes(8).toString("hex")}`;
    },
  });
  await app.register(formbody);
  app.setReplySerializer((payload) => stringifyJson(payload));
  app.setErrorHandler((error, request, reply) => sendError(reply, request, error));
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, request, ServiceError.notFound(`route ${request.method} ${request.url.split("?")[0]}`)),
  );

  const contextOf = (request: FastifyRequest): ServiceContext => ({
    db,
    config,
    logger: request.log as unknown as Logger,
    actor: request.actor ?? "anonymous",
    requestId: request.id,
    now,
    solusio: deps.solusio,
  });

  app.addHook("onRequest", async (request) => {
    if (!request.url.startsWith("/api/v1/") || request.url.startsWith("/api/v1/openapi.json")) return;
    const match = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? "");
    if (!match) throw new ServiceError("UNAUTHORIZED", "send Authorization: Bearer <admin API key>");
    request.actor = await authenticateAdminKey({ db, config, now }, match[1]!);
  });

  // Any successful admin write may change a price: re-check before the next GetTokenPricing answer.
  app.addHook("onResponse", async (request, reply) => {
    if (request.method !== "GET" && request.url.startsWith("/api/v1/") && reply.statusCode < 400) {
      pricingIndex.invalidate();
      deps.onWrite?.();
    }
    if (reply.statusCode >= 500)
      request.log.warn({ url: request.url, status: reply.statusCode }, "request failed");
  });

  app.get("/healthz", async () => ({ status: "ok" }));
  app.get("/readyz", async (request, reply) => {
    try {
      await sql`select 1`.execute(db);
      return { status: "ready" };
    } catch (error) {
      request.log.warn({ err: error }, "database not reachable");
      return reply.status(503).send({ status: "unavailable", reason: "database not reachable" });
    }
  });

  const openapi = buildOpenApi(adminRoutes);
  app.get("/api/v1/openapi.json", async () => openapi);

  registerRoutes(app, adminRoutes, contextOf);
  registerSsoRedirect(app, contextOf);
  registerGetTokenPricing(app, config.PRICING_PATH, config.SOLUSIO_PRICING_TOKEN, pricingIndex);
  return app;
}
