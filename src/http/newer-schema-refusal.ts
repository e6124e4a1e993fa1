import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { Counter, type Registry } from "prom-client";
import { headersOfCode, ProtocolError, sendError } from "./errors.ts";

// An instance that finds its database migrated by a newer version (src/app/newer-schema-watch.ts) stops its
// background work, and from then on refuses every request that could write: its code does not know the new
// schema, so what it writes could break the newer version's rules (a column it does not fill, a table it does
// not keep in step). Reads go on, so that a page open in a browser or a list a script pulls still answers
// while the operator stops the instance (docs/operations.md, "Starting and upgrading", says why that is safe).
// Whether a route writes is decided from the route the router matched, never from the URL's spelling, as
// access is (access.ts).

declare module "fastify" {
  interface FastifyContextConfig {
    /**
     * Whether the route may write to the database. Unset: every method but GET and HEAD writes. Declared where
     * the method says otherwise: a GET that writes a row (a backup's audit row, a single sign-on link's use,
     * the doctor's SolusIO call log), a POST that only reads (GetTokenPricing).
     */
    writes?: boolean;
  }
}

export function routeWrites(request: FastifyRequest): boolean {
  return request.routeOptions.config.writes ?? (request.method !== "GET" && request.method !== "HEAD");
}

/** Answers the refusal as a console or portal page (src/web/page-newer-schema.ts). */
export type NewerSchemaPage = (reply: FastifyReply, face: "console" | "portal") => FastifyReply;

const PAGE_ROUTE = /^\/(console|portal|sso)(?:\/|$)/;

export const NEWER_SCHEMA_MESSAGE =
  "this instance of tokenbill is older than its database: a newer version has migrated it, so this instance " +
  "changes nothing and nothing was changed; send the request again to reach the upgraded instance (operators: " +
  'stop this one, docs/operations.md, "Starting and upgrading")';

/**
 * Installs the refusal: an onRequest hook that must run before the access check, so that a refused request
 * touches nothing (a page's session check writes its idle clock) and needs no key to learn why.
 */
export function installNewerSchemaRefusal(
  app: FastifyInstance,
  deps: { newerSchema: () => readonly string[] | undefined; registry: Registry; page: NewerSchemaPage },
): void {
  const refusals = new Counter({
    name: "tokenbill_http_newer_schema_refusals_total",
    help: "Requests that could write, refused with 503 because a newer version of tokenbill has migrated the database",
    registers: [deps.registry],
  });
  // A rolling upgrade sends an old instance writes until it is stopped: each is expected, so the first is logged,
  // once for the server (a process has one), and the rest are counted, not logged (until 2026-12-06 each
  // refusal logged the 5xx hook's "request failed").
  let logged = false;
  // A callback hook: reads (GetTokenPricing above all) pass with two property reads and no promise.
  app.addHook("onRequest", (request, reply, done) => {
    if (request.is404 || !routeWrites(request) || deps.newerSchema() === undefined) return done();
    refusals.inc();
    if (!logged) {
      logged = true;
      request.log.warn(
        { route: `${request.method} ${request.routeOptions.url ?? ""}` },
        "this instance is older than its database and refuses every request that could write (503 NEWER_SCHEMA); " +
          "further refusals are counted in tokenbill_http_newer_schema_refusals_total, not logged",
      );
    }
    request.failureLogged = true;
    // The face is the matched route's, not the URL's: /sso/solusio is opened from the portal's button.
    const face = PAGE_ROUTE.exec(request.routeOptions.url ?? "")?.[1];
    if (face !== undefined) deps.page(reply, face === "console" ? "console" : "portal");
    else
      sendError(
        reply,
        request,
        new ProtocolError("NEWER_SCHEMA", NEWER_SCHEMA_MESSAGE, headersOfCode("NEWER_SCHEMA")),
      );
  });
}
