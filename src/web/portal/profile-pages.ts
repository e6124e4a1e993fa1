import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import {
  changePortalPassword,
  getPortalProfile,
  updatePortalProfile,
} from "../../services/portal/portal-profile.ts";
import { portalCustomerId } from "../../services/portal/portal-customer.ts";
import { startSession } from "../../services/staff/web-sessions.ts";
import { customerPage } from "../page-kit.ts";
import type { FieldErrors } from "../render.ts";
import { setSessionCookie } from "../session-cookie.ts";
import { formFields, logCredentialFailure, minutes, type WebDeps } from "../web-deps.ts";
import { CUSTOMER, CUSTOMER_FORM, fieldErrorsOf, portalNoticeOf } from "./portal-notices.ts";
import { refuseFormText } from "../page-text-input.ts";

// The customer's profile: the name (editable), e-mail, country and currency (shown; staff change them), and
// the password change (current + new). A changed password ends every session of the customer; this browser
// gets a fresh one, so the customer who changed it stays logged in.

const STATUS: Record<string, string> = {
  active: "active",
  locked: "locked (no new servers)",
  suspended: "suspended (servers stopped)",
};

export function registerPortalProfilePages(app: FastifyInstance, deps: WebDeps): void {
  const csrf = { preHandler: app.csrfProtection };

  const profilePage = async (
    request: FastifyRequest,
    reply: FastifyReply,
    status: number,
    extra: { errors?: FieldErrors; values?: Record<string, string> } = {},
  ) => {
    const profile = await getPortalProfile({ ctx: deps.contextOf(request), input: {} });
    return customerPage(
      deps,
      request,
      reply,
      "portal-profile",
      {
        title: "Profile",
        notice: portalNoticeOf(request),
        profile: { ...profile, status_text: STATUS[profile.status] ?? profile.status },
        values: { name: profile.name, ...extra.values },
        errors: extra.errors ?? {},
      },
      status,
    );
  };

  app.get("/portal/profile", CUSTOMER, async (request, reply) => profilePage(request, reply, 200));

  app.post("/portal/profile", { ...CUSTOMER_FORM, ...csrf }, async (request, reply) => {
    const { name = "" } = formFields(request);
    try {
      refuseFormText(request);
      await updatePortalProfile({ ctx: deps.contextOf(request), input: { name } });
    } catch (error) {
      const errors = fieldErrorsOf(error, ["name"]);
      if (!errors) throw error;
      return profilePage(request, reply, 400, { errors, values: { name } });
    }
    return reply.redirect("/portal/profile?notice=profile_saved", 303);
  });

  // A password field over the text check's bound is cut by it and refused by the verb's own (200): the form
  // again, not the bare 400 page (until 2026-12-05).
  app.post("/portal/profile/password", { ...CUSTOMER_FORM, ...csrf }, async (request, reply) => {
    const { current_password = "", new_password = "" } = formFields(request);
    const ctx = deps.contextOf(request);
    const customerId = portalCustomerId(ctx);
    // Guessing the current password from an open session is limited like a login: the attempt is counted
    // before the password is verified, and given back unless the current password was wrong.
    const key = `password-change:${customerId}`;
    const verdict = await deps.limiter.attempt(key, request.ip);
    if (!verdict.allowed) {
      logCredentialFailure(deps, request, "rate limited");
      reply.header("retry-after", String(verdict.retryAfterSeconds));
      return profilePage(request, reply, 429, {
        errors: {
          current_password: `Too many attempts. Try again in ${minutes(verdict.retryAfterSeconds)}.`,
        },
      });
    }
    try {
      refuseFormText(request);
      await changePortalPassword({ ctx, input: { current_password, new_password } });
    } catch (error) {
      const errors = fieldErrorsOf(error, ["current_password", "new_password"]);
      if (!errors?.["current_password"]) await deps.limiter.giveBack(key, request.ip);
      else logCredentialFailure(deps, request, "wrong current password");
      if (!errors) throw error;
      return profilePage(request, reply, 400, { errors });
    }
    await deps.limiter.succeed(key, request.ip);
    // The change ended every session, this one included: a new one for this browser (rotation, as at login).
    const { token } = await startSession(ctx, { kind: "customer", customerId });
    setSessionCookie(reply, deps.config, "customer", token);
    return reply.redirect("/portal/profile?notice=password_changed", 303);
  });
}
