import type { FastifyReply, FastifyRequest } from "fastify";
import { ServiceError, UpstreamError } from "../kernel/errors.ts";
import { type DeviceSubject, deviceCookie, type LoginDevices } from "./login-device.ts";
import { LoginCountsUnavailableError, loginKey } from "./login-limiter.ts";
import { hiddenFieldText, isTextCheckWords } from "./page-text-input.ts";
import { sentence } from "./page-sentence.ts";
import type { FieldErrors } from "./render.ts";
import type { SessionKind } from "./session-cookie.ts";
import { formFields, logCredentialFailure, minutes, type WebDeps } from "./web-deps.ts";

// The console's and the portal's password login, up to the checked credentials: the form's fields, the
// limit (a point taken before the password is verified, given back when it was right or never checked),
// and the answer for each failure (a wrong password or a refusal by the limit is logged,
// src/http/credential-failure-log.ts). Each face then starts its own session.

/** What the login page shows when the login did not go through. */
export interface LoginRefusal {
  status: 400 | 401 | 429;
  errors: FieldErrors;
  values: { email: string };
}

/** The page's wording for a field the verb refused (the verb's own words for any other field). */
const FIELD_TEXT: Record<string, string> = {
  email: "Enter a valid e-mail address.",
  password: "A password has at most 200 characters.",
};

/**
 * Checks a login form's e-mail and password with `authenticate` (authenticateStaff, authenticateCustomer),
 * counted by deps.limiter: the credentials' result, or what the login page shows instead. A right password
 * clears its e-mail's count; a form error (the verb's VALIDATION) counts nothing, as no password was tried.
 * A login carrying a valid device cookie for the account it names (`subject` looks the account up, only
 * when there is such a cookie) is counted per device instead of per e-mail (login-device.ts).
 */
export async function checkPasswordLogin<T>(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: Pick<WebDeps, "limiter" | "credentialFailures" | "devices">,
  authenticate: (credentials: { email: string; password: string }) => Promise<T>,
  device: { kind: SessionKind; subject: (email: string) => Promise<DeviceSubject | undefined> },
): Promise<{ ok: true; result: T } | ({ ok: false } & LoginRefusal)> {
  const { email = "", password = "" } = formFields(request);
  const values = { email };
  // A control character in the e-mail (or the bound passed, or a hidden field damaged): the form again with
  // the entry cleaned (page-text-input.ts); no password was tried, so nothing is counted.
  if (request.formTextRefusal)
    return { ok: false, status: 400, errors: refusedFields(request.formTextRefusal), values };
  const errors: FieldErrors = {};
  if (email.trim() === "") errors["email"] = "Enter your e-mail address.";
  if (password === "") errors["password"] = "Enter your password.";
  if (errors["email"] || errors["password"]) return { ok: false, status: 400, errors, values };

  // The same address the verb looks up (trimmed, lower-cased), so no spelling of it has a count of its own.
  const key = loginKey(email);
  const knownDevice = await knownLoginDevice(request, deps.devices, device.kind, () => device.subject(email));
  const verdict = await deps.limiter.attempt(key, request.ip, knownDevice);
  if (!verdict.allowed) {
    logCredentialFailure(deps, request, "rate limited");
    reply.header("retry-after", String(verdict.retryAfterSeconds));
    const form = `Too many failed logins. Try again in ${minutes(verdict.retryAfterSeconds)}.`;
    return { ok: false, status: 429, errors: { form }, values };
  }
  let result: T;
  try {
    result = await authenticate({ email, password });
  } catch (error) {
    const known = error instanceof ServiceError ? error : undefined;
    // A wrong password keeps its point: that is the count.
    if (known?.code === "UNAUTHORIZED") {
      // Logged without the e-mail: people type their password into it.
      logCredentialFailure(deps, request, "wrong e-mail or password");
      return { ok: false, status: 401, errors: { password: "Wrong e-mail or password." }, values };
    }
    // Anything else tried no password: the point comes back.
    await deps.limiter.giveBack(key, request.ip, knownDevice);
    if (known?.code !== "VALIDATION") throw error;
    return { ok: false, status: 400, errors: refusedFields(known), values };
  }
  await deps.limiter.succeed(key, request.ip, knownDevice);
  return { ok: true, result };
}

/**
 * The known device (login-device.ts) a login step for an account comes from: the id of the browser's device
 * cookie when it is valid for the account `subject` looks up (only when there is such a cookie), else
 * undefined. The lookup is the database's first read of the step, so a database that does not answer there
 * is the counts' outage (LoginCountsUnavailableError), as it would be a moment later.
 */
export async function knownLoginDevice(
  request: FastifyRequest,
  devices: LoginDevices,
  kind: SessionKind,
  subject: () => Promise<DeviceSubject | undefined>,
): Promise<string | undefined> {
  const cookie = deviceCookie(request, kind);
  if (cookie === undefined) return undefined;
  let found: DeviceSubject | undefined;
  try {
    found = await subject();
  } catch (error) {
    throw error instanceof UpstreamError ? new LoginCountsUnavailableError(error) : error;
  }
  return found && devices.deviceOf(kind, cookie, found);
}

/**
 * A VALIDATION error's issues on the fields they name: an over-long password is the password's error, the
 * text check's own refusal of the e-mail says what it took out, and one of a field the form does not show
 * (the console's `next`) says the form was damaged.
 */
function refusedFields(error: ServiceError): FieldErrors {
  const errors: FieldErrors = {};
  for (const issue of error.issues) {
    const field = issue.field in FIELD_TEXT ? issue.field : "form";
    const textCheck = field === "form" ? hiddenFieldText(issue) : textCheckWords(issue.message);
    errors[field] ??= textCheck ?? FIELD_TEXT[field] ?? `${issue.field}: ${issue.message}`;
  }
  if (Object.keys(errors).length === 0) errors["form"] = error.message;
  return errors;
}

/** The text check's message as a sentence beside its field, or undefined for a verb's own refusal. */
function textCheckWords(message: string): string | undefined {
  return isTextCheckWords(message) ? sentence(message) : undefined;
}
