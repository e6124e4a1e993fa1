import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Config } from "../config.ts";
import { ServiceError } from "../kernel/errors.ts";
import type { Actor } from "../kernel/actor.ts";
import type { Db } from "../kernel/context.ts";
import {
  type ApiKeyRole,
  type ApiKeyUse,
  authenticateAdminKey,
  recordApiKeyUse,
} from "../services/api-keys/api-keys.ts";
import type { CredentialFailureLog, CredentialFailureReason } from "./credential-failure-log.ts";
import { ProtocolError } from "./errors.ts";
import type { SecretFailureLimiter } from "./secret-failure-limiter.ts";

// Who may call what is decided from the route the router matched, never from the raw URL: the router
// decodes %61, so a check on the URL's spelling is a check on something else than what will run. Every
// route needs an admin API key unless its declaration says `access: "public"` (deny by default), or names
// the session it needs instead: `"staff"` (console pages) or `"customer"` (portal pages), checked by the web
// layer's session gate (src/web/session-gate.ts). A session route with no gate installed is refused.

export type Access = "public" | "admin" | "staff" | "customer";

/** Checks a page's session; resolves false when it answered the request itself (a redirect to log in). */
export type SessionGate = (
  request: FastifyRequest,
  reply: FastifyReply,
  kind: "staff" | "customer",
) => Promise<boolean>;

declare module "fastify" {
  interface FastifyContextConfig {
    /** Unset means "admin": a route must opt out of authentication, never in. */
    access?: Access;
    /**
     * The roles of admin API key an admin route is served to (others are refused 403 here, before the body is
     * read); unset: by its method (`keyRolesByMethod`). The verbs check roles too: this is the outer fence.
     */
    keyRoles?: readonly ApiKeyRole[];
  }
  interface FastifyRequest {
    /** Who the checked credential stands for; unset on public routes. */
    actor?: Actor;
    /** A stored key's use, recorded when its answer is sent unless the request was refused. */
    keyUse?: ApiKeyUse;
  }
}

export interface RouteEntry {
  method: string;
  url: string;
  access: Access;
  /** Whether the route declares that it writes or not (newer-schema-refusal.ts); unset: by its method. */
  writes?: boolean;
  /** An admin route's key roles: those it declares, or those of its method (docs/security.md's table). */
  keyRoles?: readonly ApiKeyRole[];
  /** A page whose form shows itself again on a refusal (src/web/page-text-input.ts); read by its tests. */
  reshowsForm?: boolean;
}

export function accessOf(request: FastifyRequest): Access {
  return request.routeOptions.config.access ?? "admin";
}

const BEARER = /^Bearer\s+(\S+)$/i;
/** The methods a support key may call (HEAD is answered by a GET route). */
const READ_METHODS: ReadonlySet<string> = new Set(["GET", "HEAD"]);
const EVERY_KEY_ROLE: readonly ApiKeyRole[] = ["admin", "billing", "support"];
const WRITING_KEY_ROLES: readonly ApiKeyRole[] = ["admin", "billing"];

/**
 * The key roles of a route that declares none: a support key is read-only, so a write route added without a
 * check in its verb, or a check that forgets the key's role, still does not make a support key a writing one.
 */
export function keyRolesByMethod(method: string): readonly ApiKeyRole[] {
  return READ_METHODS.has(method) ? EVERY_KEY_ROLE : WRITING_KEY_ROLES;
}

function keyRolesOf(request: FastifyRequest): readonly ApiKeyRole[] {
  return request.routeOptions.config.keyRoles ?? keyRolesByMethod(request.method);
}

/**
 * Installs the access check and returns the live table of every route with its access, which the route
 * walk test and docs/security.md read. Must run before any route is registered.
 */
export function installAccessControl(
  app: FastifyInstance,
  deps: {
    db: Db;
    config: Config;
    now: () => Date;
    limiter: SecretFailureLimiter;
    sessionGate?: SessionGate | undefined;
    /** Where a refused admin key is logged (credential-failure-log.ts); none in tests that do not look. */
    credentialFailures?: CredentialFailureLog | undefined;
  },
): RouteEntry[] {
  const table: RouteEntry[] = [];
  app.addHook("onRoute", (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods)
      table.push({
        method,
        url: route.url,
        access: route.config?.access ?? "admin",
        ...(route.config?.writes === undefined ? {} : { writes: route.config.writes }),
        ...((route.config?.access ?? "admin") === "admin"
          ? { keyRoles: route.config?.keyRoles ?? keyRolesByMethod(method) }
          : {}),
        ...(route.config?.reshowsForm ? { reshowsForm: true } : {}),
      });
  });

  const logFailure = (request: FastifyRequest, reason: CredentialFailureReason) =>
    deps.credentialFailures?.record({
      route: `${request.method} ${request.routeOptions.url ?? ""}`,
      address: request.ip,
      reason,
    });
  const authenticate = async (request: FastifyRequest): Promise<void> => {
    const match = BEARER.exec(request.headers.authorization ?? "");
    if (!match) {
      logFailure(request, "missing key");
      throw new ServiceError("UNAUTHORIZED", "send Authorization: Bearer <admin API key>");
    }
    // Only a presented key is a guess worth counting; a request without one learns nothing.
    try {
      const { actor, use } = await deps.limiter.guard(`admin-key:${request.ip}`, () =>
        authenticateAdminKey(deps, match[1]!),
      );
      request.actor = actor;
      if (use) request.keyUse = use;
    } catch (error) {
      // The key itself is never logged, nor any part of it.
      if (error instanceof ServiceError && (error.code === "UNAUTHORIZED" || error.code === "FORBIDDEN"))
        logFailure(request, "wrong key");
      else if (error instanceof ProtocolError && error.code === "RATE_LIMITED")
        logFailure(request, "rate limited");
      throw error;
    }
  };
  // A callback hook, so public routes (GetTokenPricing above all) pass without a promise per request.
  app.addHook("onRequest", (request, reply, done) => {
    // No route matched: the not-found answer carries no data, so it needs no key.
    const access = accessOf(request);
    if (request.is404 || access === "public") return done();
    if (access === "staff" || access === "customer") {
      if (!deps.sessionGate) return done(new ServiceError("UNAUTHORIZED", "no sessions are served here"));
      // When the gate answered (a redirect to the login page), the request ends there.
      deps.sessionGate(request, reply, access).then((goOn) => {
        if (goOn) done();
      }, done);
      return;
    }
    authenticate(request).then(() => {
      const actor = request.actor;
      // The key's role against the matched route's key roles, before the body is read or validated. Every
      // verb checks its own roles too; this holds for a route whose verb forgets to.
      if (actor?.kind === "admin_key" && !keyRolesOf(request).includes(actor.role))
        return done(
          new ServiceError(
            "FORBIDDEN",
            actor.role === "support" && !READ_METHODS.has(request.method)
              ? "an API key of the support role may only read (GET)"
              : `an API key of the ${actor.role} role may not call this route`,
          ),
        );
      done();
    }, done);
  });
  // A key's last use is its last request let through: one refused (401, 403: by its role here or by the verb)
  // is not use. Recorded before the answer leaves, so whoever reads the key next sees it; a failure to record
  // costs the answer nothing.
  app.addHook("onSend", async (request, reply, payload) => {
    const use = request.keyUse;
    if (use === undefined || reply.statusCode === 401 || reply.statusCode === 403) return payload;
    await recordApiKeyUse(deps, use).catch((error: unknown) =>
      request.log.warn({ err: error, keyId: use.keyId }, "an API key's last use could not be recorded"),
    );
    return payload;
  });
  return table;
}
