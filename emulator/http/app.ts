import fastifyCookie from "@fastify/cookie";
import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from "fastify";
import { EmulatorError } from "../errors.ts";
import type { Emulator } from "../runtime.ts";
import { authHook } from "./auth.ts";
import { acceptBodies } from "./body.ts";
import { faultHook } from "./fault-hook.ts";
import { Query } from "./query.ts";
import { CONTROL_PREFIX, loggablePath, pathOf, routePath } from "./request-path.ts";
import { declareSlots, slots } from "./request-slots.ts";
import {
  answerClientError,
  errorResult,
  injectedErrorResult,
  MAX_BODY_BYTES,
  messageResult,
  respond,
} from "./respond.ts";
import type { Route, RouteContext, RouteResult } from "./route.ts";

// The emulator's HTTP layer: every Route (route.ts) registered with Fastify. Per request: the fault hook
// (fault-hook.ts), the route's auth hook (auth.ts, before the body is read), the body parser (body.ts), the
// handler, which saves a successful change, and `answer`, where a `fail_after` fault swaps the answer.

const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;

function notFoundResult(path: string): RouteResult {
  if (path.startsWith("/api/") || path.startsWith(CONTROL_PREFIX)) return messageResult(404, "Not found.");
  return { status: 404, html: "<!doctype html><title>Not found</title><h1>Not found</h1>" };
}

function answer(
  em: Emulator,
  request: FastifyRequest,
  reply: FastifyReply,
  result: RouteResult,
): FastifyReply {
  const after = slots(request).emulatorAfterFault;
  if (after) {
    em.log.info(
      {
        method: request.method,
        path: loggablePath(pathOf(request.url)),
        status: after.status,
        real: result.status,
      },
      "fault: answered with an error after handling the request",
    );
    return respond(reply, injectedErrorResult(after.status, after.body), em.now());
  }
  return respond(reply, result, em.now());
}

function resultOfError(em: Emulator, error: unknown, request: FastifyRequest): RouteResult {
  if (error instanceof EmulatorError) return errorResult(error);
  const { code, statusCode: status, message } = error as Partial<FastifyError>;
  if (code === "FST_ERR_CTP_INVALID_JSON_BODY" || code === "FST_ERR_CTP_EMPTY_JSON_BODY")
    return messageResult(400, "The request body is not valid JSON.");
  if (code === "FST_ERR_CTP_INVALID_MEDIA_TYPE")
    return messageResult(415, "The Content-Type header is not a valid media type.");
  if (code === "FST_ERR_CTP_BODY_TOO_LARGE")
    return messageResult(413, `The request body exceeds ${MAX_BODY_BYTES} bytes.`);
  // Fastify's other refusals of a request (a body shorter than its Content-Length, …) keep their status.
  if (status !== undefined && status >= 400 && status < 500)
    return messageResult(status, message ?? "The request is not valid.");
  em.log.error(
    { err: error, method: request.method, path: loggablePath(pathOf(request.url)) },
    "unexpected error",
  );
  return messageResult(500, "Server Error");
}

function contextOf(app: FastifyInstance, em: Emulator, request: FastifyRequest): RouteContext {
  const cookieHeader = request.headers.cookie;
  return {
    em,
    method: request.method,
    path: routePath(request.url),
    params: request.params as Record<string, string>,
    query: new Query(request.query as unknown as URLSearchParams),
    // No body (GET, or a POST without one) reads as {}, as PHP clients expect; a JSON null stays null.
    body: request.body === undefined ? {} : request.body,
    headers: request.headers,
    // Parsed here rather than by the plugin's hook on every request: API clients send no cookies.
    cookies: cookieHeader ? (app.parseCookie(cookieHeader) as Record<string, string>) : {},
    actor: slots(request).emulatorActor,
    origin: `http://${request.headers.host ?? "127.0.0.1"}`,
  };
}

function register(app: FastifyInstance, em: Emulator, route: Route): void {
  app.route({
    method: route.method,
    url: route.path,
    ...(route.access === "public" ? {} : { onRequest: authHook(em, route.access) }),
    handler: async (request, reply) => {
      const result = await route.handle(contextOf(app, em, request));
      // Every successful change is written through at once: a crash loses nothing.
      if ((request.method !== "GET" || result.changed) && result.status < 400) em.persist();
      return answer(em, request, reply, result);
    },
  });
}

export async function buildEmulatorApp(em: Emulator, routes: Route[]): Promise<FastifyInstance> {
  const app = Fastify({
    logger: false,
    // The emulator logs one line per request itself (below), without query strings or tokens.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: MAX_BODY_BYTES,
    // HEAD is not a SolusIO method; a HEAD on a GET route would run it (and consume a login token).
    exposeHeadRoutes: false,
    // close() ends keep-alive and in-flight requests too (a latency fault may be holding one).
    forceCloseConnections: true,
    routerOptions: {
      ignoreTrailingSlash: true,
      ignoreDuplicateSlashes: true,
      // Login tokens travel in the path.
      maxParamLength: 1024,
      // PHP-encoded brackets (filter%5Bsearch%5D=) decode to `filter[search]`; Query reads URLSearchParams.
      querystringParser: (text) => new URLSearchParams(text) as unknown as Record<string, unknown>,
    },
    frameworkErrors: (error, request, reply) => {
      const result =
        error.code === "FST_ERR_MAX_PARAM_LENGTH"
          ? notFoundResult(pathOf(request.url))
          : messageResult(400, "The request URL is not valid.");
      respond(reply, result, em.now());
    },
    clientErrorHandler: (error, socket) =>
      answerClientError(socket, (error as NodeJS.ErrnoException).code, em.now()),
  });
  declareSlots(app);
  await app.register(fastifyCookie, { hook: false });
  acceptBodies(app);
  app.addHook("onRequest", faultHook(em));
  // Decided once: with logging off (tests, benchmarks) the hook is not even installed.
  if (em.log.isLevelEnabled("info")) {
    // Never the query string or headers: they can carry tokens and e-mail addresses.
    app.addHook("onResponse", (request, reply, done) => {
      em.log.info(
        {
          method: request.method,
          path: loggablePath(pathOf(request.url)),
          status: reply.statusCode,
          ms: Math.round(reply.elapsedTime),
        },
        "request",
      );
      done();
    });
  }
  for (const route of routes) register(app, em, route);

  // A path that exists under other methods is a 405 with Allow, not a 404.
  app.setNotFoundHandler((request, reply) => {
    const allowed = METHODS.filter((method) => app.findRoute({ method, url: request.url }) !== null);
    if (allowed.length === 0) return answer(em, request, reply, notFoundResult(pathOf(request.url)));
    return answer(em, request, reply, {
      status: 405,
      json: { message: `The ${request.method} method is not supported for this route.` },
      headers: { allow: allowed.join(", ") },
    });
  });
  app.setErrorHandler((error, request, reply) =>
    answer(em, request, reply, resultOfError(em, error, request)),
  );
  return app;
}
