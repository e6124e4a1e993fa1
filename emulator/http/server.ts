import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { EmulatorError, forbidden, unauthenticated } from "../errors.ts";
import { userForBearer } from "../ops/tokens.ts";
import type { Emulator } from "../runtime.ts";
import { findUser, isAdmin } from "../state/state.ts";
import { errorResult, injectedErrorResult, parseCookies, readJsonBody, send } from "./io.ts";
import { Query } from "./query.ts";
import type { Access, Actor, RouteContext, RouteResult } from "./route.ts";
import type { Router } from "./router.ts";

const CONTROL_PREFIX = "/_emulator";

/** Paths as logged: a login token in the path is a secret. */
export function loggablePath(path: string): string {
  return path.replace(/^\/auth\/by_token\/.*/, "/auth/by_token/***");
}

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function bearerOf(req: IncomingMessage): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(String(req.headers.authorization ?? ""));
  return match?.[1];
}

function authenticate(em: Emulator, req: IncomingMessage, access: Access): Actor | null {
  if (access === "public") return null;
  const token = bearerOf(req);
  if (!token) throw unauthenticated();
  if (sameToken(token, em.config.adminToken)) {
    const admin = findUser(em.state, em.state.adminUserId);
    if (!admin) throw new Error("the state has no admin user");
    return { user: admin, isAdmin: true };
  }
  // The control endpoints take the admin token itself, nothing else (solusio-api.md §10).
  if (access === "emulator") throw unauthenticated();
  const user = userForBearer(em.state, em.now(), token);
  if (!user) throw unauthenticated();
  const actor = { user, isAdmin: isAdmin(em.state, user) };
  if (access === "admin" && !actor.isAdmin) throw forbidden("This action is unauthorized.");
  return actor;
}

function notFoundResult(path: string): RouteResult {
  if (path.startsWith("/api/") || path.startsWith(CONTROL_PREFIX))
    return { status: 404, json: { message: "Not found." } };
  return { status: 404, html: "<!doctype html><title>Not found</title><h1>Not found</h1>" };
}

async function dispatch(em: Emulator, router: Router, req: IncomingMessage, url: URL): Promise<RouteResult> {
  const method = (req.method ?? "GET").toUpperCase();
  const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, "") : url.pathname;
  const { match, allowed } = router.match(method, path);
  if (!match) {
    if (allowed.length > 0) {
      return {
        status: 405,
        json: { message: `The ${method} method is not supported for this route.` },
        headers: { allow: allowed.join(", ") },
      };
    }
    return notFoundResult(path);
  }
  const actor = authenticate(em, req, match.route.access);
  const body = method === "GET" || method === "HEAD" ? {} : await readJsonBody(req);
  const ctx: RouteContext = {
    em,
    method,
    path,
    params: match.params,
    query: new Query(url.searchParams),
    body,
    headers: req.headers,
    cookies: parseCookies(req.headers.cookie),
    actor,
    origin: `http://${req.headers.host ?? "127.0.0.1"}`,
  };
  const result = await match.route.handle(ctx);
  // Every successful change is written through at once: a crash loses nothing.
  if ((method !== "GET" || result.changed) && result.status < 400) em.persist();
  return result;
}

export function createRequestListener(em: Emulator, router: Router) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const started = performance.now();
    let url: URL;
    try {
      url = new URL(req.url ?? "/", "http://emulator.invalid");
    } catch {
      send(res, { status: 400, json: { message: "The request URL is not valid." } });
      return;
    }
    const method = (req.method ?? "GET").toUpperCase();
    if (!url.pathname.startsWith(CONTROL_PREFIX)) {
      const fault = em.faults.decide(method, url.pathname);
      if (fault.latencyMs > 0) await new Promise((r) => setTimeout(r, fault.latencyMs));
      if (fault.kind === "drop") {
        em.log.info({ method, path: loggablePath(url.pathname) }, "fault: dropping the connection");
        req.socket.destroy();
        return;
      }
      if (fault.kind === "error") {
        req.resume();
        send(res, injectedErrorResult(fault.status, fault.body));
        em.log.info(
          { method, path: loggablePath(url.pathname), status: fault.status },
          "fault: injected error",
        );
        return;
      }
    }
    let result: RouteResult;
    try {
      result = await dispatch(em, router, req, url);
    } catch (error) {
      if (error instanceof EmulatorError) result = errorResult(error);
      else {
        em.log.error({ err: error, method, path: loggablePath(url.pathname) }, "unexpected error");
        result = { status: 500, json: { message: "Server Error" } };
      }
    }
    if (!res.headersSent && !res.destroyed) send(res, result);
    // Never the query string or headers: they can carry tokens and e-mail addresses.
    em.log.info(
      {
        method,
        path: loggablePath(url.pathname),
        status: result.status,
        ms: Math.round(performance.now() - started),
      },
      "request",
    );
  };
}
