import { type CookieSerializeOptions, fastifyCookie } from "@fastify/cookie";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Config } from "../config.ts";

// The session cookies. Each face has its own, scoped to its path, so a staff member who is also testing
// the portal keeps both sessions and neither cookie travels to the other face or to the API:
// HttpOnly (no script reads it), SameSite=Lax (no cross-site POST carries it), Secure when the request came
// over TLS (directly, or through a proxy with TRUST_PROXY) and always when TOKENBILL_PUBLIC_URL is https.
// No Max-Age: the browser forgets it when closed, and the server ends it anyway (idle and absolute expiry).

export type SessionKind = "staff" | "customer";

export const FACES = {
  staff: { cookie: "tb_console", path: "/console", login: "/console/login", home: "/console" },
  customer: { cookie: "tb_portal", path: "/portal", login: "/portal/login", home: "/portal" },
} as const satisfies Record<SessionKind, { cookie: string; path: string; login: string; home: string }>;

export function cookieSecurity(config: Config): { secure: boolean | "auto" } {
  return { secure: config.TOKENBILL_PUBLIC_URL?.startsWith("https:") ? true : "auto" };
}

function options(config: Config, kind: SessionKind): CookieSerializeOptions {
  return { path: FACES[kind].path, httpOnly: true, sameSite: "lax", ...cookieSecurity(config) };
}

/**
 * The session id a request carries. Read from the header itself, as the access check runs before the
 * cookie plugin's own parsing hook.
 */
export function sessionToken(request: FastifyRequest, kind: SessionKind): string | undefined {
  const header = request.headers.cookie;
  if (!header) return undefined;
  return fastifyCookie.parse(header)[FACES[kind].cookie] || undefined;
}

export function setSessionCookie(
  reply: FastifyReply,
  config: Config,
  kind: SessionKind,
  token: string,
): void {
  reply.setCookie(FACES[kind].cookie, token, options(config, kind));
}

export function clearSessionCookie(reply: FastifyReply, config: Config, kind: SessionKind): void {
  reply.clearCookie(FACES[kind].cookie, options(config, kind));
}
