import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { changeOwnStaffPassword, WRONG_CURRENT_PASSWORD } from "../services/staff/change-own-password.ts";
import { currentStaffUser } from "../services/staff/staff-users.ts";
import { startSession } from "../services/staff/web-sessions.ts";
import { asServiceError } from "../kernel/errors.ts";
import { fieldErrorsOf, STAFF, STAFF_FORM } from "./console/page-helpers.ts";
import { CONSOLE_NAV } from "./page-kit.ts";
import { type FieldErrors, renderPage } from "./render.ts";
import { requestedReturnPath } from "./return-path.ts";
import { CHANGE_PASSWORD_PATH } from "./session-gate.ts";
import { setSessionCookie } from "./session-cookie.ts";
import { csrfToken, formFields, logCredentialFailure, minutes, type WebDeps } from "./web-deps.ts";

// The console's change-password page: the signed-in staff user's own password, given the current one, the
// new one twice. While their password is a generated one (must_change_password) it is the only page the
// console opens them (session-gate.ts), and the login ends here. A change ends every session of the user and
// gives this browser a fresh one (renewed, not kept: a session opened with the old password, perhaps by
// whoever saw the generated one, must not survive it, and this browser's id is rotated like at a login).

/** Open to a user who must change a generated password (session-gate.ts). */
const OPEN = { beforePasswordChange: true } as const;
const PAGE = { config: { ...STAFF.config, ...OPEN } };
const FORM = { config: { ...STAFF_FORM.config, ...OPEN } };

const FIELDS = [
  {
    name: "current_password",
    label: "Current password",
    type: "password",
    autocomplete: "current-password",
  },
  {
    name: "new_password",
    label: "New password",
    type: "password",
    autocomplete: "new-password",
    hint: "12 to 200 characters, no tabs or line breaks.",
  },
  {
    name: "new_password_again",
    label: "New password again",
    type: "password",
    autocomplete: "new-password",
  },
] as const;

export function registerConsolePasswordPage(app: FastifyInstance, deps: WebDeps): void {
  const csrf = { preHandler: app.csrfProtection };

  const page = async (
    request: FastifyRequest,
    reply: FastifyReply,
    status: number,
    errors: FieldErrors = {},
  ) => {
    const user = await currentStaffUser({ ctx: deps.contextOf(request), input: {} });
    const forced = request.webSession?.mustChangePassword === true;
    const next = nextOf(request);
    return renderPage(
      reply,
      "form",
      {
        face: "console",
        title: "Change your password",
        heading: "Change your password",
        who: { name: user.name || user.email, detail: user.role },
        // While the password must change, no other page would open: no navigation to them.
        ...(forced ? {} : { nav: CONSOLE_NAV, current: "/console/account" }),
        intro: forced
          ? "Your password was generated for you and someone else has seen it. Choose your own before you go on; your other sessions end."
          : "Changing your password logs you out on every other device.",
        action: CHANGE_PASSWORD_PATH,
        submit: "Change password",
        username: user.email,
        fields: FIELDS,
        hidden: next === undefined ? {} : { next },
        ...(forced ? {} : { back: { href: "/console/account", text: "Back to your account" } }),
        errors,
        csrf: csrfToken(request, reply),
      },
      status,
    );
  };

  app.get(CHANGE_PASSWORD_PATH, PAGE, async (request, reply) => page(request, reply, 200));

  app.post(CHANGE_PASSWORD_PATH, { ...FORM, ...csrf }, async (request, reply) => {
    // Only the hidden `next` can hold what the text check refuses: password fields are only bounded.
    if (request.formTextRefusal) return page(request, reply, 400, fieldErrorsOf(request.formTextRefusal, []));
    const { current_password = "", new_password = "", new_password_again = "" } = formFields(request);
    const errors: FieldErrors = {};
    if (current_password === "") errors["current_password"] = "Enter your current password.";
    if (new_password === "") errors["new_password"] = "Enter a new password.";
    if (new_password_again === "") errors["new_password_again"] = "Enter the new password again.";
    else if (new_password !== "" && new_password_again !== new_password)
      errors["new_password_again"] = "This is not the same as the new password: type it again.";
    // Nothing checked yet, so nothing counted.
    if (Object.keys(errors).length > 0) return page(request, reply, 400, errors);

    const ctx = deps.contextOf(request);
    const staffUserId =
      request.webSession!.subject.kind === "staff" ? request.webSession!.subject.staffUserId : "";
    // Guessing the current password from an open session is limited like a login: the point is taken before
    // the password is verified, and given back unless it was wrong.
    const key = `staff-password-change:${staffUserId}`;
    const verdict = await deps.limiter.attempt(key, request.ip);
    if (!verdict.allowed) {
      logCredentialFailure(deps, request, "rate limited");
      reply.header("retry-after", String(verdict.retryAfterSeconds));
      return page(request, reply, 429, {
        current_password: `Too many wrong passwords. Try again in ${minutes(verdict.retryAfterSeconds)}.`,
      });
    }
    try {
      await changeOwnStaffPassword({ ctx, input: { current_password, new_password } });
    } catch (error) {
      const refused = fieldErrorsOf(error, ["current_password", "new_password"]);
      const wrong = asServiceError(error)?.issues.some(
        (issue) => issue.field === "current_password" && issue.message === WRONG_CURRENT_PASSWORD,
      );
      if (wrong) logCredentialFailure(deps, request, "wrong current password");
      else await deps.limiter.giveBack(key, request.ip);
      if (!refused) throw error;
      const newIssue = asServiceError(error)?.issues.find((issue) => issue.field === "new_password");
      return page(request, reply, 400, {
        ...refused,
        ...(wrong ? { current_password: "This is not your current password." } : {}),
        // The verb's own words (PasswordSchema's bounds), as the portal's reset page says them.
        ...(newIssue ? { new_password: `The new password ${newIssue.message}.` } : {}),
      });
    }
    await deps.limiter.succeed(key, request.ip);
    // The change ended every session of the user, this one included: a new one for this browser.
    const { token } = await startSession(ctx, { kind: "staff", staffUserId });
    setSessionCookie(reply, deps.config, "staff", token);
    return reply.redirect(nextOf(request) ?? "/console/account?notice=own_password_changed", 303);
  });
}

/** Where the page goes after the change: the page the gate sent the person from (return-path.ts). */
function nextOf(request: FastifyRequest): string | undefined {
  const next = requestedReturnPath("staff", request);
  return next?.startsWith(CHANGE_PASSWORD_PATH) ? undefined : next;
}
