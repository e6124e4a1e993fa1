import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { authenticateStaff, staffDeviceSubject, verifyStaffTotp } from "../services/staff/staff-login.ts";
import { endSession, readSession, startSession } from "../services/staff/web-sessions.ts";
import { setDeviceCookie } from "./login-device.ts";
import { loginStep } from "./login-unavailable.ts";
import { registerLogoutRoutes } from "./logout-routes.ts";
import { checkPasswordLogin, knownLoginDevice } from "./password-login.ts";
import { requestedReturnPath, withNext } from "./return-path.ts";
import { asServiceErrorCode } from "./service-error-code.ts";
import { registerConsoleAccountPages } from "./console-account-pages.ts";
import { noticeOf } from "./notice-of.ts";
import { registerConsolePasswordPage } from "./console-password-page.ts";
import { CHANGE_PASSWORD_PATH } from "./session-gate.ts";
import { type FieldErrors, renderPage } from "./render.ts";
import { FACES, sessionToken, setSessionCookie } from "./session-cookie.ts";
import { csrfToken, formFields, logCredentialFailure, minutes, type WebDeps } from "./web-deps.ts";
import { fieldErrorsOf, STAFF } from "./console/page-helpers.ts";

// The console's login, second factor, account and (for now) dashboard pages. Pages call the same verbs as
// the API; the actor is the session's staff user.

const PUBLIC = { config: { access: "public" as const } };
/** A public form shown again for a control character in what was typed (page-text-input.ts). */
const PUBLIC_FORM = { config: { access: "public" as const, reshowsForm: true } };

export function registerConsolePages(app: FastifyInstance, deps: WebDeps): void {
  const { config } = deps;
  const csrf = { preHandler: app.csrfProtection };

  const loginPage = (
    request: FastifyRequest,
    reply: FastifyReply,
    status: number,
    extra: { errors?: FieldErrors; values?: Record<string, string>; notice?: string } = {},
  ) =>
    renderPage(
      reply,
      "login",
      {
        face: "console",
        title: "Log in",
        heading: "Log in to the console",
        action: "/console/login",
        csrf: csrfToken(request, reply),
        // Where the login ends (return-path.ts): from the address, then carried by the form.
        next: requestedReturnPath("staff", request),
        ...extra,
      },
      status,
    );

  app.get("/console/login", PUBLIC, async (request, reply) =>
    loginPage(request, reply, 200, { notice: noticeOf(request) }),
  );

  app.post("/console/login", { ...PUBLIC_FORM, ...csrf }, async (request, reply) => {
    const ctx = deps.contextOf(request);
    const login = await checkPasswordLogin(
      request,
      reply,
      deps,
      (credentials) => authenticateStaff(ctx, credentials),
      { kind: "staff", subject: (email) => staffDeviceSubject(ctx, { email }) },
    );
    if (!login.ok)
      return loginPage(request, reply, login.status, { errors: login.errors, values: login.values });
    const result = login.result;
    const next = requestedReturnPath("staff", request);
    // Rotation: whatever session the browser held ends, and a new id is issued.
    const old = sessionToken(request, "staff");
    if (old) await endSession(ctx, old);
    let token: string;
    try {
      // Only while the password checked is still the user's: a reset or change meanwhile ended every session.
      ({ token } = await startSession(
        ctx,
        { kind: "staff", staffUserId: result.user.id },
        { pendingTotp: result.totpRequired, passwordHash: result.passwordHash },
      ));
    } catch (error) {
      if (asServiceErrorCode(error) !== "UNAUTHORIZED") throw error;
      return loginPage(request, reply, 401, {
        errors: { password: "Wrong e-mail or password." },
        values: { email: formFields(request)["email"] ?? "" },
      });
    }
    setSessionCookie(reply, config, "staff", token);
    request.log.info({ staff: result.user.id }, "staff login");
    // A known device's cookie only for a complete login: after the code when one follows.
    if (result.totpRequired) return reply.redirect(`/console/login/code${nextQuery(next)}`, 303);
    await knownDevice(request, reply, result.user.id);
    // A generated password: the login ends on the change-password page, which goes on to `next` after.
    if (result.mustChangePassword) return reply.redirect(withNext(CHANGE_PASSWORD_PATH, "staff", next), 303);
    return reply.redirect(next ?? FACES.staff.home, 303);
  });

  /** This browser is now a known device of the staff user's (login-device.ts), renewed at every login. */
  const knownDevice = async (request: FastifyRequest, reply: FastifyReply, staffUserId: string) => {
    const subject = await staffDeviceSubject(deps.contextOf(request), { id: staffUserId });
    if (subject) setDeviceCookie(request, reply, config, deps.devices, "staff", subject);
  };

  const pendingSession = async (request: FastifyRequest) => {
    const token = sessionToken(request, "staff");
    const session = token ? await readSession(deps.contextOf(request), token, "staff") : undefined;
    return session?.pendingTotp && session.subject.kind === "staff" && token
      ? { token, staffUserId: session.subject.staffUserId }
      : undefined;
  };
  const codePage = (
    request: FastifyRequest,
    reply: FastifyReply,
    status: number,
    errors: FieldErrors = {},
  ) => {
    const next = requestedReturnPath("staff", request);
    return renderPage(
      reply,
      "form",
      {
        face: "console",
        title: "Two-factor login",
        heading: "Enter your code",
        intro: "Open your authenticator app and enter the 6-digit code it shows for tokenbill.",
        action: "/console/login/code",
        submit: "Continue",
        fields: [
          { name: "code", label: "Code", type: "text", autocomplete: "one-time-code", inputmode: "numeric" },
        ],
        back: { href: "/console/login", text: "Start again" },
        hidden: next === undefined ? {} : { next },
        errors,
        csrf: csrfToken(request, reply),
      },
      status,
    );
  };

  app.get(
    "/console/login/code",
    PUBLIC,
    loginStep(async (request, reply) => {
      if (!(await pendingSession(request))) return reply.redirect(FACES.staff.login, 303);
      return codePage(request, reply, 200);
    }),
  );

  // A code pasted with a tab or a line break shows the form again naming the code, counted as no attempt (no
  // code is checked); until 2026-12-05 it was the bare 400 error page.
  // A database that does not answer is the login's outage page (loginStep), as at the password.
  const codeStep = loginStep(async (request: FastifyRequest, reply: FastifyReply) => {
    const pending = await pendingSession(request);
    if (!pending) return reply.redirect(FACES.staff.login, 303);
    const key = `staff-code:${pending.staffUserId}`;
    // Counted as the password is: a browser this staff user completed a login in before (its device cookie)
    // per device, any other per user. Until 2026-12-06 always per user, so whoever had the password could
    // fail codes until the owner's own code was refused too.
    const device = await knownLoginDevice(request, deps.devices, "staff", () =>
      staffDeviceSubject(deps.contextOf(request), { id: pending.staffUserId }),
    );
    // The point is taken before the code is checked, as a password's is: read first and counted after, 20
    // wrong codes sent at once had 7 or 8 checked against a limit of 5 (until 2026-12-06).
    const verdict = await deps.limiter.attempt(key, request.ip, device);
    if (!verdict.allowed) {
      logCredentialFailure(deps, request, "rate limited");
      reply.header("retry-after", String(verdict.retryAfterSeconds));
      return codePage(request, reply, 429, {
        form: `Too many wrong codes. Try again in ${minutes(verdict.retryAfterSeconds)}.`,
      });
    }
    const refused = request.formTextRefusal && fieldErrorsOf(request.formTextRefusal, ["code"]);
    if (refused) {
      await deps.limiter.giveBack(key, request.ip, device); // no code was checked
      return codePage(request, reply, 400, refused);
    }
    const ctx = deps.contextOf(request);
    const { code = "" } = formFields(request);
    if (!(await verifyStaffTotp(ctx, pending.staffUserId, code))) {
      logCredentialFailure(deps, request, "wrong two-factor code");
      return codePage(request, reply, 401, {
        code: "This code is not right. Enter the current code from your app.",
      });
    }
    await deps.limiter.succeed(key, request.ip, device);
    let token: string;
    try {
      // Only while the pending session is still live (startSession ends it): a reset since the password step
      // ended it, and must end this login too.
      ({ token } = await startSession(
        ctx,
        { kind: "staff", staffUserId: pending.staffUserId },
        { replacing: pending.token },
      ));
    } catch (error) {
      if (asServiceErrorCode(error) !== "UNAUTHORIZED") throw error;
      return reply.redirect(FACES.staff.login, 303);
    }
    setSessionCookie(reply, config, "staff", token);
    await knownDevice(request, reply, pending.staffUserId);
    return reply.redirect(requestedReturnPath("staff", request) ?? FACES.staff.home, 303);
  });
  app.post("/console/login/code", { ...PUBLIC_FORM, ...csrf }, codeStep);

  // Logging out stays open to a user who must still change a generated password (session-gate.ts).
  registerLogoutRoutes(app, deps, "staff", { ...STAFF.config, beforePasswordChange: true });

  registerConsoleAccountPages(app, deps);
  registerConsolePasswordPage(app, deps);
}

function nextQuery(next: string | undefined): string {
  return next === undefined ? "" : `?next=${encodeURIComponent(next)}`;
}
