import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Config } from "../config.ts";
import { cookieSecurity } from "./session-cookie.ts";

// A secret made by a form (a new API key, a staff user's one-time password) shown once on the page the form
// redirects to (Post/Redirect/Get), so that reloading that page reads it rather than sending the form again
// and making a second key or user. Between the form's answer and the page the secret is carried by this
// browser alone, in a short-lived HttpOnly cookie scoped to that page, encrypted (AES-256-GCM) with a key
// derived from the session's own token: the server keeps nothing (no table, any instance can show it), the
// secret is in no URL and no log (cookie headers are redacted), and another session, which has another token,
// cannot open it. The page that shows it clears the cookie, so a reload or the back button shows it no more —
// and only that page: the clearing goes out with the 200 that carries the secret, so a page that fails while
// it is drawn (a list read, a template) leaves the cookie, and a reload shows the secret (until 2026-12-05 the
// cookie was cleared before the page was drawn, and such a failure lost the key or password for good).
// docs/console.md, "Secrets shown once".

/** What a form leaves for its page: the page's path (the cookie's scope) and a name of its own. */
export interface ShownOnce {
  cookie: string;
  path: string;
}

export const API_KEY_SHOWN_ONCE: ShownOnce = { cookie: "tb_once_api_key", path: "/console/api-keys" };
export const STAFF_SECRET_SHOWN_ONCE: ShownOnce = { cookie: "tb_once_staff", path: "/console/settings" };

/** Long enough to follow a redirect; the page may be slow, the browser may be on a slow link. */
const LIFETIME_SECONDS = 300;

function keyOf(sessionToken: string, once: ShownOnce): Buffer {
  return Buffer.from(hkdfSync("sha256", sessionToken, "tokenbill shown once", once.cookie, 32));
}

function cookieOptions(config: Config, once: ShownOnce) {
  return { path: once.path, httpOnly: true, sameSite: "strict" as const, ...cookieSecurity(config) };
}

/** Leaves `value` for the next view of `once.path` in this session (the caller then redirects there). */
export function leaveShownOnce(
  request: FastifyRequest,
  reply: FastifyReply,
  config: Config,
  once: ShownOnce,
  value: Record<string, string>,
): void {
  const token = request.webSession?.token;
  if (!token) throw new Error("a secret is shown once only within a session");
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", keyOf(token, once), iv);
  const plain = JSON.stringify({ value, until: Date.now() + LIFETIME_SECONDS * 1000 });
  const sealed = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
  const cookie = Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString("base64url");
  reply.setCookie(once.cookie, cookie, { ...cookieOptions(config, once), maxAge: LIFETIME_SECONDS });
}

/** The cookie each reply is to clear if it is a page drawn in full (a 200): see installShownOnce. */
const clearedWhenShown = new WeakMap<FastifyReply, { config: Config; once: ShownOnce }>();

/**
 * Clears, on each 200 answer, the cookie its handler took with takeShownOnce; an error page (or any other
 * answer) leaves it for the next view. On the pages' instance, before the pages are registered.
 */
export function installShownOnce(pages: FastifyInstance): void {
  pages.addHook("onSend", async (_request, reply, payload) => {
    const taken = clearedWhenShown.get(reply);
    if (taken && reply.statusCode === 200)
      reply.clearCookie(taken.once.cookie, cookieOptions(taken.config, taken.once));
    return payload;
  });
}

/**
 * What the form left for this page, once: the cookie is cleared by the page's answer when that is a 200
 * (installShownOnce), and at once when it holds nothing this session can open. Undefined without one, or
 * when it was sealed for another session, has expired or was tampered with.
 */
export function takeShownOnce(
  request: FastifyRequest,
  reply: FastifyReply,
  config: Config,
  once: ShownOnce,
): Record<string, string> | undefined {
  const cookie = request.cookies[once.cookie];
  const token = request.webSession?.token;
  if (!cookie) return undefined;
  const value = token === undefined ? undefined : opened(cookie, token, once);
  if (value === undefined) reply.clearCookie(once.cookie, cookieOptions(config, once));
  else clearedWhenShown.set(reply, { config, once });
  return value;
}

function opened(cookie: string, token: string, once: ShownOnce): Record<string, string> | undefined {
  try {
    const bytes = Buffer.from(cookie, "base64url");
    const decipher = createDecipheriv("aes-256-gcm", keyOf(token, once), bytes.subarray(0, 12));
    decipher.setAuthTag(bytes.subarray(12, 28));
    const plain = Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]).toString("utf8");
    const { value, until } = JSON.parse(plain) as { value: Record<string, string>; until: number };
    return Date.now() <= until ? value : undefined;
  } catch {
    return undefined;
  }
}
