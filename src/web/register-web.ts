import fastifyCookie from "@fastify/cookie";
import csrfProtection from "@fastify/csrf-protection";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Config } from "../config.ts";
import type { Db, ServiceContext } from "../kernel/context.ts";
import { asServiceError } from "../kernel/errors.ts";
import type { CredentialFailureLog } from "../http/credential-failure-log.ts";
import { headersOfCode, logUpstreamFailure } from "../http/errors.ts";
import { appSecret } from "../services/sso/app-secret.ts";
import { registerConsoleAreas } from "./console/index.ts";
import { registerConsolePages } from "./console-pages.ts";
import { LoginDevices } from "./login-device.ts";
import { LoginCountsUnavailableError, LoginLimiter } from "./login-limiter.ts";
import { answerLoginUnavailable } from "./login-unavailable.ts";
import { installPageBodyType } from "./page-body-type.ts";
import { installPageFormBody } from "./page-form-body.ts";
import { installPageTextCheck } from "./page-text-input.ts";
import { registerPortalAreas } from "./portal/index.ts";
import { registerPortalPages } from "./portal-pages.ts";
import { renderPage } from "./render.ts";
import { cookieSecurity, FACES } from "./session-cookie.ts";
import { installShownOnce } from "./shown-once.ts";
import { upstreamPageWords } from "./upstream-page-words.ts";
import { csrfUserInfo } from "./web-deps.ts";

// The web layer: the staff console under /console and the customer portal under /portal, server-rendered.
// Cookies through @fastify/cookie, CSRF through @fastify/csrf-protection: its secret in an HttpOnly
// cookie, each token bound to the session it was made for (HMAC with a key shared by every instance), and
// every POST checks it before anything runs. Access is decided by src/http/access.ts from each route's
// `access` (public, staff, customer), with the session gate of src/web/session-gate.ts. Forms, query strings
// and path parameters are held to the admin API's text rules (page-text-input.ts) after those checks.

export interface WebOptions {
  config: Config;
  db: Db;
  contextOf: (request: FastifyRequest) => ServiceContext;
  credentialFailures: CredentialFailureLog;
}

export async function registerWeb(app: FastifyInstance, options: WebOptions): Promise<void> {
  const { config } = options;
  await app.register(fastifyCookie);
  await app.register(csrfProtection, {
    sessionPlugin: "@fastify/cookie",
    cookieKey: "tb_csrf",
    cookieOpts: { path: "/", httpOnly: true, sameSite: "lax", ...cookieSecurity(config) },
    getUserInfo: csrfUserInfo,
    csrfOpts: { hmacKey: await appSecret(options.db, "csrf-hmac"), userInfo: true },
  });
  const limiter = new LoginLimiter({
    perEmail: config.LOGIN_FAILURES_PER_EMAIL,
    perIp: config.LOGIN_FAILURES_PER_IP,
    windowMinutes: config.LOGIN_WINDOW_MINUTES,
    // On PostgreSQL every instance counts in the database (migration 036); the embedded one in memory.
    shared: config.DATABASE_URL === undefined ? undefined : options.db,
  });
  const devices = new LoginDevices(await appSecret(options.db, "login-device"));
  await app.register(async (pages) => {
    pages.setErrorHandler(pageError);
    // Before any page is registered: it applies to the routes registered after it (page-text-input.ts).
    installPageTextCheck(pages);
    // A page's body is a form of at most 128 KiB, refused before it is parsed otherwise (page-body-type.ts).
    installPageBodyType(pages);
    // Its fields decoded as a browser decodes them, any not UTF-8 named for the text check (page-form-body.ts).
    installPageFormBody(pages);
    // A secret shown once is cleared by the 200 that shows it, never by an error page (shown-once.ts).
    installShownOnce(pages);
    const deps = {
      config,
      contextOf: options.contextOf,
      limiter,
      devices,
      credentialFailures: options.credentialFailures,
    };
    registerConsolePages(pages, deps);
    registerConsoleAreas(pages, deps);
    registerPortalPages(pages, deps);
    registerPortalAreas(pages, deps);
  });
}

const STATUS: Record<string, number> = {
  VALIDATION: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  UPSTREAM_UNAVAILABLE: 503,
};

/** A page's error as a page (not the API's JSON envelope), saying what to do next and nothing internal. */
function pageError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const face = request.url.startsWith("/portal") ? "portal" : "console";
  if (error instanceof LoginCountsUnavailableError)
    return answerLoginUnavailable(error, request, reply, face);
  const login = face === "portal" ? FACES.customer.login : FACES.staff.login;
  let status = 500;
  let message =
    "Something went wrong on our side. Try again; if it keeps happening, tell us the time it happened.";
  let back = { href: `/${face}`, text: "Back" };
  // SolusIO's, a payment provider's or the database's failures (UpstreamErrors) as well as ServiceErrors.
  const known = asServiceError(error);
  if (error.code === "FST_CSRF_INVALID_TOKEN" || error.code === "FST_CSRF_MISSING_SECRET") {
    status = 403;
    message =
      "This form has expired or did not come from this site. Go back, reload the page and send it again.";
  } else if (known && STATUS[known.code]) {
    status = STATUS[known.code]!;
    message = known.code === "UNAUTHORIZED" ? "Your session has ended. Log in again." : known.message;
    if (known.code === "UNAUTHORIZED") back = { href: login, text: "Log in" };
    if (known.code === "UPSTREAM_UNAVAILABLE") {
      logUpstreamFailure(request.log, error, request.id);
      reply.headers(headersOfCode(known.code));
      // Worded by reader: below admin no host, port, URL or system's own message; a customer none at all.
      message = upstreamPageWords(request, error, known, face);
    }
  } else if (typeof error.statusCode === "number" && error.statusCode >= 400 && error.statusCode < 500) {
    status = error.statusCode;
    message = "This request could not be understood.";
  } else {
    request.log.error({ err: error, requestId: request.id }, "page failed");
  }
  return renderPage(
    reply,
    "message",
    { face, title: "Error", heading: status >= 500 ? "Error" : "Not possible", message, back, csrf: "" },
    status,
  );
}
