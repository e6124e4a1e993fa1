import { randomHex } from "../kernel/random-hex.ts";
import formbody from "@fastify/formbody";
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyRequest,
} from "fastify";
import type { Logger } from "pino";
import { Counter } from "prom-client";
import type { Config } from "../config.ts";
import { actors } from "../kernel/actor.ts";
import type { Db, ServiceContext } from "../kernel/context.ts";
import { type Readiness, readinessProbe } from "../services/health.ts";
import { BackgroundWork } from "../kernel/background-work.ts";
import { PricingIndex } from "../services/pricing/pricing-index.ts";
import type { SolusioIntegration } from "../solusio/integration.ts";
import { accessOf, installAccessControl, type RouteEntry } from "./access.ts";
import { answerClientError, sendError } from "./errors.ts";
import { stringifyJson } from "../kernel/json.ts";
import { buildOpenApi } from "./openapi.ts";
import {
  addSecurityHeaders,
  installNotFound,
  limitedServerFactory,
  registerSecurityHeaders,
  servedOverHttps,
} from "./protection.ts";
import { registerRoutes, type AnyRouteSpec } from "./route.ts";
import { apiKeyRoutes } from "./routes/api-key-routes.ts";
import { billingRoutes } from "./routes/billing-routes.ts";
import { paymentRoutes } from "./routes/payment-routes.ts";
import { dunningRoutes } from "./routes/dunning-routes.ts";
import {
  pricingEndpoint,
  pricingFastPath,
  pricingBodyLimit,
  registerGetTokenPricing,
} from "./routes/get-token-pricing-route.ts";
import { installFormFieldLimit } from "./form-field-limit.ts";
import { installJsonBodyParser } from "./json-body-parser.ts";
import { pricingRoutes } from "./routes/pricing-routes.ts";
import { resourceRoutes } from "./routes/resources.ts";
import { solusioRoutes } from "./routes/solusio-routes.ts";
import { backupRoutes } from "./routes/backup-routes.ts";
import { jobRoutes } from "./routes/job-routes.ts";
import { providerEventRoutes } from "./routes/provider-event-routes.ts";
import { statementRoutes } from "./routes/statement-routes.ts";
import { registerStripeWebhook, stripeRoutes } from "./routes/stripe-routes.ts";
import { registerSsoRedirect } from "./routes/sso-redirect-route.ts";
import { proxyTrust } from "./client-address.ts";
import { CredentialFailureLog } from "./credential-failure-log.ts";
import { SecretFailureLimiter } from "./secret-failure-limiter.ts";
import { createMetrics, type Metrics } from "../metrics/metrics.ts";
import { installRequestMetrics, pricingObserver, registerMetricsRoute } from "../metrics/http-metrics.ts";
import { answerPageClientError } from "../web/page-client-error.ts";
import { answerPageNewerSchema } from "../web/page-newer-schema.ts";
import { installNewerSchemaRefusal } from "./newer-schema-refusal.ts";
import { answerPageAddressError, answerPageMiss } from "../web/page-miss.ts";
import { registerWeb } from "../web/register-web.ts";
import { createSessionGate } from "../web/session-gate.ts";

export interface ServerDeps {
  config: Config;
  db: Db;
  logger: Logger;
  now?: () => Date;
  solusio?: SolusioIntegration | undefined;
  /** How the portal's login and reset links are sent (default: SMTP when configured, else not at all). */
  /**
   * Answer /readyz "pricing index loading" until the GetTokenPricing index is loaded, and load it then (`serve`
   * does, and calls app.warmPricingIndex() once its start is done): at a million customers the load takes
   * seconds, which SolusIO's first calls would otherwise wait.
   */
  warmPricingIndex?: boolean;
  /**
   * The migrations a newer version has applied since this instance started, once seen (serve's schema watch,
   * src/app/newer-schema-watch.ts): /readyz then answers 503, so a load balancer drains the instance.
   */
  newerSchema?: () => readonly string[] | undefined;
  /** The embedded database's backup (GET /api/v1/backup, the console); absent on PostgreSQL. */
  backup?: ServiceContext["backup"];
}

declare module "fastify" {
  interface FastifyInstance {
    /** Every registered route with its access (public or admin), for the route walk test and docs. */
    routeTable: RouteEntry[];
    /** The Prometheus registry behind GET /metrics (and METRICS_PORT, src/app/server.ts). */
    metrics: Metrics;
    /** Starts loading the GetTokenPricing index now, in the background; a failure is logged and retried by /readyz. */
    warmPricingIndex: () => void;
  }
}

export const adminRoutes: AnyRouteSpec[] = [
  ...resourceRoutes,
  ...pricingRoutes,
  ...solusioRoutes,
  ...jobRoutes,
  ...billingRoutes,
  ...paymentRoutes,
  ...statementRoutes,
  ...dunningRoutes,
  ...apiKeyRoutes,
  ...stripeRoutes,
  ...providerEventRoutes,
  ...backupRoutes,
];

// No migration names: /readyz is public, and the log names them.
const NEWER_SCHEMA = "database migrated by a newer version of tokenbill";

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

function requestIdOf(req: { headers: Record<string, string | string[] | undefined> }): string {
  const given = req.headers["x-request-id"];
  return typeof given === "string" && REQUEST_ID.test(given) ? given : `req_${randomHex(8)}`;
}

export async function buildServer(deps: ServerDeps): Promise<FastifyInstance> {
  const { config, db, logger } = deps;
  const now = deps.now ?? (() => new Date());
  const pricingIndex = new PricingIndex(db, config.PRICING_REFRESH_MS, logger);
  const limiter = new SecretFailureLimiter(config.AUTH_FAILURES_PER_MINUTE);
  // Wrong admin keys and failed console and portal logins, at most a line an address a minute.
  const credentialFailures = new CredentialFailureLog(logger);
  const metrics = createMetrics(db, logger);
  const pricing = pricingEndpoint({
    path: config.PRICING_PATH,
    token: config.SOLUSIO_PRICING_TOKEN,
    index: pricingIndex,
    limiter,
    observe: pricingObserver(metrics),
    credentialFailures,
  });
  // SolusIO's plain GetTokenPricing request is answered in front of Fastify (get-token-pricing-route.ts).
  // TRUST_PROXY's hops, the same for Fastify's request.ip and the pricing fast path (client-address.ts).
  const trustProxy = proxyTrust(config.TRUST_PROXY);
  const fastPricing = pricingFastPath(pricing, {
    bodyLimit: pricingBodyLimit(config.HTTP_BODY_LIMIT_BYTES),
    trustProxy,
    requestId: requestIdOf,
    logger,
  });
  // Connections closed as they arrived, by which cap (protection.ts).
  const refusedConnections = new Counter({
    name: "tokenbill_http_connections_refused_total",
    help: "Connections closed as they arrived: over MAX_CONNECTIONS_PER_ADDRESS from one address, or over HTTP_MAX_CONNECTIONS",
    labelNames: ["reason"] as const,
    registers: [metrics.registry],
  });
  for (const reason of ["per_address", "max_connections"]) refusedConnections.inc({ reason }, 0);
  const limitedServer = limitedServerFactory(config, {
    trust: trustProxy,
    refused: (reason) => refusedConnections.inc({ reason }),
  });
  // The pages' CSP asks browsers to upgrade to https only on a request that came over it (protection.ts).
  const overHttps = servedOverHttps(config, trustProxy);

  const app = Fastify({
    loggerInstance: logger as unknown as FastifyBaseLogger,
    // Per-request logs would dominate the GetTokenPricing hot path; errors are logged where they happen.
    logController: new LogController({ disableRequestLogging: true }),
    serverFactory: (handler) =>
      limitedServer((req, res) => {
        if (!fastPricing(req, res)) handler(req, res);
      }),
    // A page's request whose headers are too large is answered as a page (src/web/page-client-error.ts).
    clientErrorHandler: (error, socket) => {
      if (!answerPageClientError(error, socket)) answerClientError(error, socket);
    },
    // Bad percent-encoding, over-long path parameters: the router's refusals, in our envelope too, or as a
    // page where a browser opened a console or portal address (src/web/page-miss.ts).
    // No onRequest hook has run, so the security headers are added here.
    frameworkErrors: (error, request, reply) => {
      addSecurityHeaders(request, reply, overHttps);
      return answerPageAddressError(error, request, reply) ?? sendError(reply, request, error);
    },
    bodyLimit: config.HTTP_BODY_LIMIT_BYTES,
    trustProxy,
    genReqId: requestIdOf,
  });
  // First of the onRequest hooks, so that every answer carries the security headers, the access gate's
  // own (a redirect to a login page, a 401) included.
  registerSecurityHeaders(app, overHttps);
  // Before the access check: once a newer version has migrated the database, a write is refused before
  // anything reads or writes for it (newer-schema-refusal.ts).
  if (deps.newerSchema)
    installNewerSchemaRefusal(app, {
      newerSchema: deps.newerSchema,
      registry: metrics.registry,
      page: answerPageNewerSchema,
    });
  // Console and portal pages (src/web) declare the session they need; the gate checks it.
  // An instance older than its database lets reads through (newer-schema-refusal.ts) and writes nothing for them.
  const readOnly = () => deps.newerSchema?.() !== undefined;
  // The SolusIO calls its pages make (usage for the portal and the dashboard) are logged to solusio_call: not
  // on an old instance. Its background work, the other callers, has stopped by then (app/server.ts).
  if (deps.newerSchema) deps.solusio?.connection.recordCallsOnlyWhile(() => !readOnly());
  const sessionGate = createSessionGate({ db, config, now, readOnly });
  app.decorate(
    "routeTable",
    installAccessControl(app, { db, config, now, limiter, sessionGate, credentialFailures }),
  );
  // An address under /console or /portal that no page answers is a page too (src/web/page-miss.ts).
  installNotFound(app, answerPageMiss);
  app.decorate("metrics", metrics);
  app.addHook("onClose", async () => {
    metrics.close();
    pricingIndex.close();
    credentialFailures.close();
  });
  installRequestMetrics(app, metrics, config.PRICING_PATH);
  // Before any route: a form body's fields are counted before the form is parsed (form-field-limit.ts).
  installFormFieldLimit(app);
  await app.register(formbody);
  installJsonBodyParser(app);
  app.setReplySerializer((payload) => stringifyJson(payload));
  app.setErrorHandler((error, request, reply) => sendError(reply, request, error));

  // Billing runs launched by requests go on after their answer; at close they stop at their next batch and
  // are waited for, so that they record how they ended before the database closes.
  const background = new BackgroundWork();
  app.addHook("preClose", async () => background.stop());
  const contextOf = (request: FastifyRequest): ServiceContext => ({
    db,
    config,
    logger: request.log as unknown as Logger,
    actor: request.actor ?? actors.anonymous(),
    requestId: request.id,
    now,
    solusio: deps.solusio,
    signal: background.signal,
    background,
    backup: deps.backup,
    readOnly: readOnly(),
  });

  const isWrite = (request: FastifyRequest, statusCode: number) =>
    request.method !== "GET" &&
    !request.is404 &&
    (accessOf(request) === "admin" || accessOf(request) === "staff") &&
    statusCode < 400;
  // Any successful admin write may change a price: its answer waits until the GetTokenPricing index has
  // applied it, while GetTokenPricing answers go on from the index as it was (pricing-index.ts). Should the
  // check fail, the next answer re-checks instead.
  app.addHook("onSend", async (request, reply, payload) => {
    if (isWrite(request, reply.statusCode)) {
      await pricingIndex.catchUp().catch((error: unknown) => {
        request.log.warn(
          { err: error },
          "the pricing index could not apply a change yet; the next answer re-checks",
        );
        pricingIndex.invalidate();
      });
    }
    return payload;
  });
  // Jobs a request writes wake the runners by themselves (job-wakeups.ts): no request has to.
  app.addHook("onResponse", async (request, reply) => {
    // A 503 from /readyz is its answer, not a failure: the probe logs its own state changes (below). A
    // failure its handler logged already is not said twice.
    if (reply.statusCode >= 500 && request.routeOptions.url !== "/readyz" && !request.failureLogged)
      request.log.warn({ url: request.url, status: reply.statusCode }, "request failed");
  });

  const open = { config: { access: "public" as const } };
  app.get("/healthz", open, async () => ({ status: "ok" }));
  const readiness = readinessProbe(db);
  // A load that failed (the database away at start) is tried again by the next probe: an instance kept out of
  // the load balancer until it is ready gets no GetTokenPricing request that would try it.
  const warmPricing = () =>
    pricingIndex
      .warm()
      .catch((error: unknown) =>
        logger.warn({ err: error }, "the pricing index could not be loaded yet; /readyz tries again"),
      );
  app.decorate("warmPricingIndex", () => void warmPricing());
  // A load balancer probes every few seconds: each change of the answer is logged once, not each probe (until
  // 2026-12-06 every probe while the index loaded logged two warnings).
  let lastReadiness: string = "ready";
  app.get("/readyz", open, async (request, reply) => {
    let answer: Readiness | "pricing index loading" | typeof NEWER_SCHEMA = deps.newerSchema?.()
      ? NEWER_SCHEMA
      : await readiness();
    if (answer === "ready" && deps.warmPricingIndex && !pricingIndex.loaded) {
      void warmPricing();
      answer = "pricing index loading";
    }
    const changed = answer !== lastReadiness;
    lastReadiness = answer;
    if (answer === "ready") {
      if (changed) request.log.info("ready");
      return { status: "ready" };
    }
    if (changed) request.log.warn({ reason: answer }, `not ready: ${answer}`);
    return reply.status(503).send({ status: "unavailable", reason: answer });
  });

  const openapi = buildOpenApi(adminRoutes);
  app.get("/api/v1/openapi.json", open, async () => openapi);
  registerMetricsRoute(app, metrics);

  registerRoutes(app, adminRoutes, contextOf);
  registerSsoRedirect(app, contextOf, limiter, credentialFailures);
  registerStripeWebhook(app, contextOf);
  registerGetTokenPricing(app, pricing, pricingBodyLimit(config.HTTP_BODY_LIMIT_BYTES));
  await registerWeb(app, { config, db, contextOf, credentialFailures });
  return app;
}
