import type { IncomingHttpHeaders } from "node:http";
import type { Emulator } from "../runtime.ts";
import type { UserRecord } from "../state/types.ts";
import type { Query } from "./query.ts";

/**
 * Who may call a route:
 * - admin: a Bearer token of a user with the Admin role (the emulator's admin token is one);
 * - user: any valid Bearer token (admin or user);
 * - public: nobody needs to be logged in (registration, SSO, the user area handles its own session);
 * - emulator: the /_emulator control endpoints, guarded by the admin token itself.
 */
export type Access = "admin" | "user" | "public" | "emulator";

export interface Actor {
  user: UserRecord;
  isAdmin: boolean;
}

export interface RouteContext {
  em: Emulator;
  method: string;
  /** The path as requested, e.g. /api/v1/users/5 */
  path: string;
  params: Record<string, string>;
  query: Query;
  body: unknown;
  headers: IncomingHttpHeaders;
  cookies: Record<string, string>;
  /** Set for admin and user routes. */
  actor: Actor | null;
  /** scheme://host as the client reached us, for links and redirects. */
  origin: string;
}

export interface RouteResult {
  status: number;
  json?: unknown;
  html?: string;
  headers?: Record<string, string | string[]>;
  /** A GET that changed state (a login consumes its token): write the state file anyway. */
  changed?: boolean;
}

export interface Route {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** `:name` segments become params; they match one path segment. */
  path: string;
  access: Access;
  handle(ctx: RouteContext): RouteResult | Promise<RouteResult>;
}

export function json(status: number, body: unknown): RouteResult {
  return { status, json: body };
}

export function data(body: unknown, status = 200): RouteResult {
  return { status, json: { data: body } };
}

export function noContent(): RouteResult {
  return { status: 204 };
}

export function actorOf(ctx: RouteContext): Actor {
  if (!ctx.actor) throw new Error(`route ${ctx.method} ${ctx.path} needs an actor but has none`);
  return ctx.actor;
}
