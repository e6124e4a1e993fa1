import type { FastifyReply, FastifyRequest } from "fastify";
import type { Config } from "../config.ts";
import type { ServiceContext } from "../kernel/context.ts";
import type { CredentialFailureLog, CredentialFailureReason } from "../http/credential-failure-log.ts";
import type { LoginDevices } from "./login-device.ts";
import type { LoginLimiter } from "./login-limiter.ts";

/** What the console's and the portal's pages are built with. */
export interface WebDeps {
  config: Config;
  contextOf: (request: FastifyRequest) => ServiceContext;
  limiter: LoginLimiter;
  /** Known devices' cookies, which a login is counted by instead of its e-mail (login-device.ts). */
  devices: LoginDevices;
  /** Failed logins, codes and current passwords are logged here (src/http/credential-failure-log.ts). */
  credentialFailures: CredentialFailureLog;
}

/** Logs a failed credential of this page's route and client address (never what was typed). */
export function logCredentialFailure(
  deps: Pick<WebDeps, "credentialFailures">,
  request: FastifyRequest,
  reason: CredentialFailureReason,
): void {
  deps.credentialFailures.record({
    route: `${request.method} ${request.routeOptions.url ?? ""}`,
    address: request.ip,
    reason,
  });
}

/** The CSRF token for a form on this page, bound to the request's session (or to "no session yet"). */
export function csrfToken(request: FastifyRequest, reply: FastifyReply): string {
  return reply.generateCsrf({ userInfo: csrfUserInfo(request) });
}

export function csrfUserInfo(request: FastifyRequest): string {
  return request.webSession?.idHash ?? "anonymous";
}

/** A form's fields as strings (formbody gives strings; anything else is treated as empty). */
export function formFields(request: FastifyRequest): Record<string, string> {
  const body = request.body;
  const out: Record<string, string> = {};
  if (body && typeof body === "object")
    for (const [key, value] of Object.entries(body)) out[key] = typeof value === "string" ? value : "";
  return out;
}

export function minutes(seconds: number): string {
  const m = Math.ceil(seconds / 60);
  return m <= 1 ? "a minute" : `${m} minutes`;
}
