import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import FindMyWay, { type HTTPMethod } from "find-my-way";
import helmet from "helmet";
import type { Config } from "../config.ts";
import { ServiceError } from "../kernel/errors.ts";
import type { Socket } from "node:net";
import { accessOf } from "./access.ts";
import { addressGroup } from "./address-group.ts";
import type { ProxyTrust } from "./client-address.ts";
import { ProtocolError, sendError } from "./errors.ts";

// What keeps slow, greedy or odd clients from holding the server (docs/security.md): timeouts for headers
// and whole requests, a connection cap, security headers on every answer, and 405 for a known path asked
// with the wrong method.

/** The most a request's head may hold; over it, Node's parser answers 431 (a page's words name it too). */
export const MAX_HEADER_BYTES = 16 * 1024;

/** Why a connection was closed as it arrived: the per-address cap, or HTTP_MAX_CONNECTIONS (Node's own). */
export type RefusedConnection = "per_address" | "max_connections";

/** Node's HTTP server with every limit set; Fastify's serverFactory hands it the request handler. */
export function limitedServerFactory(
  config: Config,
  options: { trust: ProxyTrust | false; refused?: (reason: RefusedConnection) => void },
) {
  return (handler: (req: IncomingMessage, res: ServerResponse) => void): Server => {
    const server = createServer(
      {
        requestTimeout: config.HTTP_REQUEST_TIMEOUT_MS,
        headersTimeout: config.HTTP_HEADERS_TIMEOUT_MS,
        // Node checks the two timeouts above on this interval (30 s by default, too coarse for 10 s).
        connectionsCheckingInterval: 1000,
        // An idle kept-alive connection is closed after this (Node's default, said here so it stays so).
        keepAliveTimeout: 5000,
        maxHeaderSize: MAX_HEADER_BYTES,
      },
      handler,
    );
    server.maxConnections = config.HTTP_MAX_CONNECTIONS;
    server.on("drop", () => options.refused?.("max_connections"));
    capConnectionsPerAddress(server, config.MAX_CONNECTIONS_PER_ADDRESS, options);
    return server;
  };
}

const LOOPBACK = /^(?:127\.|::1$|::ffff:127\.)/;

/**
 * At most `cap` connections open at once from one client address (an IPv6 /64 counts as one, as for the
 * wrong-secret limit: address-group.ts); one more is closed as it arrives, before Node reads anything from
 * it. Not counted: loopback (a proxy or a monitor on the same host) and hops TRUST_PROXY believes (behind a
 * proxy every connection comes from it; with TRUST_PROXY true or a number, that is every peer).
 */
function capConnectionsPerAddress(
  server: Server,
  cap: number,
  options: { trust: ProxyTrust | false; refused?: (reason: RefusedConnection) => void },
): void {
  const open = new Map<string, number>();
  // Before Node's own listener, so a refused connection gets no parser.
  server.prependListener("connection", (socket: Socket) => {
    const address = socket.remoteAddress;
    if (address === undefined || LOOPBACK.test(address)) return;
    if (options.trust !== false && options.trust(address, 0)) return;
    const group = addressGroup(address);
    const count = open.get(group) ?? 0;
    if (count >= cap) {
      options.refused?.("per_address");
      socket.destroy();
      return;
    }
    open.set(group, count + 1);
    socket.once("close", () => {
      const left = (open.get(group) ?? 1) - 1;
      if (left > 0) open.set(group, left);
      else open.delete(group);
    });
  });
}

/**
 * The headers of GetTokenPricing's answer: JSON read by SolusIO's server, never rendered by a browser, so it
 * carries OWASP's set for REST answers (REST Security Cheat Sheet, "Security Headers") instead of helmet's
 * document headers. Per customer, so no cache may keep it; a browser that opens it anyway may neither run,
 * load nor frame anything from it. Half as many bytes as helmet's set, on the endpoint SolusIO calls most.
 */
export const API_SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  "cache-control": "no-store",
  "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
  "strict-transport-security": "max-age=31536000; includeSubDomains",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
});

declare module "fastify" {
  interface FastifyContextConfig {
    /**
     * "api": the route sends API_SECURITY_HEADERS itself (GetTokenPricing), so helmet's document set is
     * not added. Unset: helmet's set.
     */
    securityHeaders?: "api";
  }
}

/**
 * helmet's defaults: a strict Content-Security-Policy for the HTML pages (console, portal, SSO errors,
 * invoice renderings; inline styles only), nosniff, frame denial, no referrer leaks, HSTS for HTTPS
 * deployments. Built once: @fastify/helmet, which this replaced, called helmet() again for every request,
 * validating the options and parsing the CSP directives each time (3–5 µs a request, measured alone), behind
 * two hooks of its own.
 */
const helmetHeaders = helmet();

/**
 * The same set without the CSP's `upgrade-insecure-requests`, for an answer that went out over plain http:
 * the browser would send the page's forms and scripts to https on the same host and port, where nothing
 * answers (a console opened as http://10.0.0.5:3000 on a LAN could not log in until 2026-12-06; browsers
 * exempt loopback, so http://127.0.0.1 never showed it).
 */
const plainHttpHelmetHeaders = helmet({
  contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } },
});

/** Whether a request came over https (servedOverHttps). */
export type HttpsRule = (req: IncomingMessage) => boolean;

/**
 * Whether a request came over https: the rule the session cookies' `Secure` follows (session-cookie.ts, by
 * Fastify's request.protocol): TLS on the socket, or the last `X-Forwarded-Proto` being https when the
 * socket's peer is a hop TRUST_PROXY believes; and always when TOKENBILL_PUBLIC_URL is https. Read from the
 * raw request, as the router's own refusals (frameworkErrors) get a request whose protocol ignores the proxy.
 */
export function servedOverHttps(config: Config, trust: ProxyTrust | false): HttpsRule {
  if (config.TOKENBILL_PUBLIC_URL?.startsWith("https:")) return () => true;
  return (req) => {
    if ((req.socket as { encrypted?: boolean }).encrypted) return true;
    const proto = req.headers["x-forwarded-proto"];
    if (typeof proto !== "string" || trust === false || !trust(req.socket.remoteAddress ?? "", 0))
      return false;
    return proto.split(",").at(-1)!.trim().toLowerCase() === "https";
  };
}

function helmetFor(req: IncomingMessage, https: HttpsRule) {
  return https(req) ? helmetHeaders : plainHttpHelmetHeaders;
}

/**
 * helmet's set on an answer made where no hook runs: the router's refusal of an address it cannot read
 * (frameworkErrors in server.ts), which may be a page.
 */
export function addSecurityHeaders(request: FastifyRequest, reply: FastifyReply, https: HttpsRule): void {
  helmetFor(request.raw, https)(request.raw, reply.raw, () => undefined);
}

/**
 * helmet's set as header lines, for an answer written straight to the socket before any request exists (a
 * page's answer to headers too large: src/web/page-client-error.ts). Collected once from helmet itself, so
 * the two never differ. Without `upgrade-insecure-requests`, as no request tells whether it came over https:
 * the page loads nothing and links only back to the site's own address.
 */
export const PAGE_SECURITY_HEADER_LINES: string = (() => {
  const lines: string[] = [];
  const collector = {
    setHeader: (name: string, value: string | number | readonly string[]) =>
      lines.push(`${name}: ${Array.isArray(value) ? value.join(", ") : String(value)}\r\n`),
    removeHeader: () => undefined,
  };
  plainHttpHelmetHeaders({} as IncomingMessage, collector as unknown as ServerResponse, () => undefined);
  return lines.join("");
})();

/**
 * Must be installed before the access check (installAccessControl), whose hook may answer by itself (the
 * redirect to a login page, a 401): hooks run in the order they were added, and until 2026-12-04 those
 * answers carried none of these headers. Answers of routes that need a credential are also `no-store`
 * from here on, refusals included (routes and pages set it again on their own answers).
 */
export function registerSecurityHeaders(app: FastifyInstance, https: HttpsRule): void {
  // onRequest, so every answer carries them, 404s and errors included; a page that needs a wider CSP
  // (form-action to SolusIO) sets its own header over this one.
  app.addHook("onRequest", (request, reply, done) => {
    if (request.routeOptions.config.securityHeaders === "api") return done();
    if (!request.is404 && accessOf(request) !== "public") reply.header("cache-control", "no-store");
    // helmet throws on a bad option (at build time, above) and never passes an error on: done is only called.
    helmetFor(request.raw, https)(request.raw, reply.raw, done as (error?: unknown) => void);
  });
}

const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;

/** What the router knows of a path no route answers: the methods it takes, and whether a path is a page. */
export interface RouteMiss {
  allowed: HTTPMethod[];
  /** Whether GET has a route at this path (a page to send a person back to). */
  hasGet(path: string): boolean;
}

/** Answers a miss itself (the console's and the portal's pages), or returns undefined for the envelope. */
export type MissAnswer = (
  request: FastifyRequest,
  reply: FastifyReply,
  miss: RouteMiss,
) => FastifyReply | undefined;

/**
 * The router's own "no such route" answer: 405 with `Allow` when the path exists under other methods,
 * 404 otherwise, both in the error envelope unless `pageMiss` answers (an address under the pages). Must
 * be installed before any route is registered.
 */
export function installNotFound(app: FastifyInstance, pageMiss?: MissAnswer): void {
  const known = FindMyWay();
  app.addHook("onRoute", (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      const m = method.toUpperCase() as HTTPMethod;
      if (!known.hasRoute(m, route.url)) known.on(m, route.url, noop);
    }
  });
  app.setNotFoundHandler((request: FastifyRequest, reply: FastifyReply) => {
    const allowed = METHODS.filter((m) => known.find(m, request.url) !== null);
    const hasGet = (path: string) => known.find("GET", path) !== null;
    const answered = pageMiss?.(request, reply, { allowed, hasGet });
    if (answered) return answered;
    if (allowed.length > 0)
      return sendError(
        reply,
        request,
        new ProtocolError("METHOD_NOT_ALLOWED", `use ${allowed.join(", ")}`, { allow: allowed.join(", ") }),
      );
    const path = request.url.split("?")[0]!.slice(0, 200);
    return sendError(reply, request, new ServiceError("NOT_FOUND", `no route ${request.method} ${path}`));
  });
}

function noop(): void {}
