import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { beginTotpEnrolment, confirmTotpEnrolment } from "../services/staff/staff-login.ts";
import { currentStaffUser } from "../services/staff/staff-users.ts";
import { cancelTotpEnrolment, pendingTotpEnrolment } from "../services/staff/totp-enrolment.ts";
import { noticeOf } from "./notice-of.ts";
import { STAFF, STAFF_FORM } from "./console/page-helpers.ts";
import { CUT_TO_BOUND, refuseFormText } from "./page-text-input.ts";
import { type FieldErrors, renderPage } from "./render.ts";
import { asServiceErrorCode } from "./service-error-code.ts";
import { csrfToken, formFields, type WebDeps } from "./web-deps.ts";

// The staff account page and its two-factor set-up. The set-up in progress is read on every view, so a
// reload, or a return from the authenticator app, shows the same key and its code form until a right code
// turns it on or the set-up is cancelled (until 2026-12-07 the key was only in the answer to the POST that
// started it, and a reload showed the account as if nothing had been started).

/** A wrong code from a well-formed 6 digits: most often the phone's clock, or a key typed with a slip. */
export const WRONG_TOTP_CODE =
  "That code did not match this set-up's key. Check that your phone sets its time automatically (the codes " +
  "follow the clock), then enter the code your app shows now for tokenbill: it changes every 30 seconds. If it " +
  "still does not match, remove tokenbill from the app and add the key above again.";

const NO_SETUP_WAITING =
  "No two-factor set-up was waiting for that code: it was cancelled or finished, perhaps in another tab. " +
  "This page shows where it stands now.";

export function registerConsoleAccountPages(app: FastifyInstance, deps: WebDeps): void {
  const csrf = { preHandler: app.csrfProtection };

  const accountPage = async (
    request: FastifyRequest,
    reply: FastifyReply,
    errors: FieldErrors = {},
    status = 200,
  ) => {
    const ctx = deps.contextOf(request);
    const user = await currentStaffUser({ ctx, input: {} });
    const enrolment = user.totp_enabled ? null : await pendingTotpEnrolment({ ctx, input: {} });
    return renderPage(
      reply,
      "console-account",
      {
        face: "console",
        title: "Your account",
        who: { name: user.name || user.email, detail: user.role },
        user,
        csrf: csrfToken(request, reply),
        notice: noticeOf(request),
        enrolment,
        errors,
      },
      status,
    );
  };

  app.get("/console/account", STAFF, async (request, reply) => accountPage(request, reply));

  // Answered with a redirect, not the page: the page a reload opens is then the GET, which shows the same key,
  // where reloading the POST's answer made a new key (the browser re-sent it) or, opened again, none at all.
  app.post("/console/account/totp/start", { ...STAFF, ...csrf }, async (request, reply) => {
    await beginTotpEnrolment({ ctx: deps.contextOf(request), input: {} });
    return reply.redirect("/console/account#totp-setup", 303);
  });

  app.post("/console/account/totp/cancel", { ...STAFF, ...csrf }, async (request, reply) => {
    const { cancelled } = await cancelTotpEnrolment({ ctx: deps.contextOf(request), input: {} });
    return reply.redirect(cancelled ? "/console/account?notice=totp_cancelled" : "/console/account", 303);
  });

  // A code with a control character (pasted with a line break) is refused before the verb runs, saying so
  // (until 2026-12-05 the bare 400 error page). A refused code, malformed or wrong, draws the set-up again with
  // the error beside the code: the pending key stays (the verb keeps it until a right code, a cancel or a new
  // start), so the one already added to the authenticator goes on working.
  app.post("/console/account/totp/confirm", { ...STAFF_FORM, ...csrf }, async (request, reply) => {
    const { code: typed = "" } = formFields(request);
    try {
      refuseFormText(request);
      await confirmTotpEnrolment({ ctx: deps.contextOf(request), input: { code: typed } });
    } catch (error) {
      const code = asServiceErrorCode(error);
      // No set-up waits (cancelled in another tab, or already turned on): said on the account page, whose
      // state shows what there is, where it was a bare 409 error page.
      if (code === "CONFLICT") return accountPage(request, reply, { form: NO_SETUP_WAITING }, 409);
      if (code !== "VALIDATION") throw error;
      const refusal = request.formTextRefusal?.issues[0]?.message;
      const message =
        refusal === CUT_TO_BOUND
          ? "That code was far too long: enter the 6 digits alone."
          : refusal
            ? "That code held a control character (such as a tab or a line break, often pasted with it): enter the 6 digits alone."
            : /^\s*\d{6}\s*$/.test(typed)
              ? WRONG_TOTP_CODE
              : "Enter the 6-digit code your app shows.";
      return accountPage(request, reply, { code: message }, 400);
    }
    return reply.redirect("/console/account?notice=totp_on", 303);
  });
}
