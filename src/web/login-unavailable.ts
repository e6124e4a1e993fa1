import type { FastifyReply, FastifyRequest } from "fastify";
import { logUpstreamFailure } from "../http/errors.ts";
import { UpstreamError } from "../kernel/errors.ts";
import { LoginCountsUnavailableError } from "./login-limiter.ts";
import { renderPage } from "./render.ts";
import { FACES } from "./session-cookie.ts";

// A login, code or link step whose counts cannot be reached (on PostgreSQL, the database did not answer:
// login-limiter.ts). Until 2026-12-06 the page said the database could not be reached (the console) or that
// the page was unavailable (the portal), and logged the failure twice (its warning and the 5xx hook's
// "request failed"). Now it says what the person cannot do and when to try again, names no system, and the
// log has one line: a warning with the cause's words for an outage, an error with its stack for anything
// else (a store that failed otherwise is a bug to see).

export const LOGIN_UNAVAILABLE = "We cannot check your login right now. Try again in a minute.";
/** Retry-After: a restart or a failover takes about that long; sooner would only meet the same outage. */
const RETRY_SECONDS = 60;

/**
 * A login step's route handler whose database failures (UpstreamError) are the login's outage, answered by
 * answerLoginUnavailable as the counts' are. For the steps that read before they count: the two-factor code
 * (its pending session), an e-mailed login link's page and a password-reset link's page (their token). Until 2026-12-06 they were the generic 503
 * (Retry-After 5, "This page is unavailable for a moment" on the portal, the database named on the console).
 */
export function loginStep(
  handler: (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply>,
): (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply> {
  return async (request, reply) => {
    try {
      return await handler(request, reply);
    } catch (error) {
      throw error instanceof UpstreamError ? new LoginCountsUnavailableError(error) : error;
    }
  };
}

export function answerLoginUnavailable(
  error: LoginCountsUnavailableError,
  request: FastifyRequest,
  reply: FastifyReply,
  face: "console" | "portal",
): FastifyReply {
  if (error.cause instanceof UpstreamError) logUpstreamFailure(request.log, error.cause, request.id);
  else request.log.error({ err: error.cause, requestId: request.id }, "login counts failed");
  request.failureLogged = true;
  reply.header("retry-after", String(RETRY_SECONDS));
  const login = face === "portal" ? FACES.customer.login : FACES.staff.login;
  return renderPage(
    reply,
    "message",
    {
      face,
      title: "Login unavailable",
      heading: "Login unavailable",
      message: LOGIN_UNAVAILABLE,
      back: { href: login, text: "Back to the login page" },
      csrf: "",
    },
    503,
  );
}
