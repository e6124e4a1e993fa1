import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { ServiceContext } from "../kernel/context.ts";
import { asServiceError } from "../kernel/errors.ts";
import { authenticateCustomer, customerDeviceSubject } from "../services/portal-accounts/portal-accounts.ts";
import { requestPortalLink } from "../services/portal-accounts/portal-link-mail.ts";
import {
  livePortalTokenEmail,
  type PortalTokenPurpose,
  portalTokenIsLive,
  resetPortalPassword,
  startPortalLinkSession,
} from "../services/portal-accounts/portal-tokens.ts";
import { endSession, startSession } from "../services/staff/web-sessions.ts";
import { noticeOf } from "./notice-of.ts";
import { setDeviceCookie } from "./login-device.ts";
import { loginKey } from "./login-limiter.ts";
import { loginStep } from "./login-unavailable.ts";
import { registerLogoutRoutes } from "./logout-routes.ts";
import { checkPasswordLogin, knownLoginDevice } from "./password-login.ts";
import { requestedReturnPath } from "./return-path.ts";
import { type FieldErrors, renderPage } from "./render.ts";
import { fieldErrorsOf } from "./portal/portal-notices.ts";
import { asServiceErrorCode } from "./service-error-code.ts";
import { FACES, sessionToken, setSessionCookie } from "./session-cookie.ts";
import { csrfToken, formFields, type WebDeps } from "./web-deps.ts";

// The portal's login (password, or an e-mailed single-use link), password reset and home page. Every
// portal verb takes the customer from the session (actors.customer), never from the request.
//
// An e-mailed link opens a page with a button, and only the button's POST spends the token: mail scanners
// that fetch every link in a message would otherwise spend it (or log in) before the customer clicks.

const CUSTOMER = { config: { access: "customer" as const } };
const PUBLIC = { config: { access: "public" as const } };
/** A public form that shows itself again on a control character (page-text-input.ts, reshowsForm). */
const PUBLIC_FORM = { config: { access: "public" as const, reshowsForm: true } };

/** What the form page of a link shows besides its token (form.eta). */
interface LinkPage {
  title: string;
  heading: string;
  intro?: string;
  action: string;
  submit: string;
  /** The account's name for password managers, on a form that sets a password. */
  username?: string;
  fields?: readonly { name: string; label: string; type: string; autocomplete: string; hint?: string }[];
  back: { href: string; text: string };
}

/** The page a reset link opens: its hint tied to the field, the (unnamed) account for password managers. */
export const NEW_PASSWORD_PAGE: LinkPage = {
  title: "Choose a new password",
  heading: "Choose a new password",
  action: "/portal/password-reset/new",
  submit: "Save the password",
  // The account's e-mail, read from the link's token when the page is drawn (livePortalTokenEmail); empty
  // until then, which still tells a password manager this is an account's new password.
  username: "",
  fields: [
    {
      name: "password",
      label: "New password",
      type: "password",
      autocomplete: "new-password",
      hint: "At least 12 characters.",
    },
  ],
  back: { href: "/portal/password-reset", text: "Ask for a new link" },
};

/** Said for a link's token already spent, past its time or never sent. */
const LINK_STALE = "This link is not valid any more. Ask for a new one.";
/** Said for a link's token that arrived with a control character or too long: not one this site sent. */
const LINK_DAMAGED = "This link arrived damaged. Open it again from the e-mail, or ask for a new one.";
const SENT =
  "If this address belongs to an account, a message with a link is on its way. The link works once.";

export function registerPortalPages(app: FastifyInstance, deps: WebDeps): void {
  const { config } = deps;
  const csrf = { preHandler: app.csrfProtection };

  const loginPage = (
    request: FastifyRequest,
    reply: FastifyReply,
    status: number,
    extra: { errors?: FieldErrors; values?: Record<string, string>; notice?: string | undefined } = {},
  ) =>
    renderPage(
      reply,
      "login",
      {
        face: "portal",
        title: "Log in",
        heading: "Log in to your account",
        action: "/portal/login",
        csrf: csrfToken(request, reply),
        // Where the login ends (return-path.ts): from the address, then carried by the form.
        next: requestedReturnPath("customer", request),
        ...extra,
      },
      status,
    );

  /**
   * Starts a customer session after a checked login (a password or an e-mailed link), ending the one the
   * browser held (rotation). The browser is now a known device of the customer's (login-device.ts), renewed at
   * every login; until 2026-12-06 a link's login gave none, so a customer who always came by link had no
   * device to be counted by when a stranger used up the e-mail's count of wrong passwords. An account
   * without a password gets one too (since 2026-12-06; bound to its having none, customerDeviceSubject): its
   * link requests are counted by it.
   */
  const logIn = async (
    request: FastifyRequest,
    reply: FastifyReply,
    start: (ctx: ServiceContext) => Promise<{ customerId: bigint; token: string }>,
    next: string = FACES.customer.home,
  ) => {
    const ctx = deps.contextOf(request);
    const old = sessionToken(request, "customer");
    if (old) await endSession(ctx, old);
    const { customerId, token } = await start(ctx);
    setSessionCookie(reply, config, "customer", token);
    const subject = await customerDeviceSubject(ctx, { id: customerId });
    if (subject) setDeviceCookie(request, reply, config, deps.devices, "customer", subject);
    return reply.redirect(next, 303);
  };

  app.get("/portal/login", PUBLIC, async (request, reply) =>
    loginPage(request, reply, 200, { notice: noticeOf(request) }),
  );

  app.post("/portal/login", { ...PUBLIC_FORM, ...csrf }, async (request, reply) => {
    const ctx = deps.contextOf(request);
    const login = await checkPasswordLogin(
      request,
      reply,
      deps,
      (credentials) => authenticateCustomer(ctx, credentials),
      { kind: "customer", subject: (email) => customerDeviceSubject(ctx, { email }) },
    );
    if (!login.ok)
      return loginPage(request, reply, login.status, { errors: login.errors, values: login.values });
    const { customerId, passwordHash } = login.result;
    try {
      // Only while the password it checked is still the account's (startSession).
      const start = async (ctx: ServiceContext) => ({
        customerId,
        token: (await startSession(ctx, { kind: "customer", customerId }, { passwordHash })).token,
      });
      return await logIn(request, reply, start, requestedReturnPath("customer", request));
    } catch (error) {
      // The password was changed (or reset) while it was checked: it is wrong now.
      if (asServiceErrorCode(error) !== "UNAUTHORIZED") throw error;
      return loginPage(request, reply, 401, {
        errors: { password: "Wrong e-mail or password." },
        values: { email: formFields(request)["email"] ?? "" },
      });
    }
  });

  /** "Send me a link" pages: the magic link and the password reset share their shape. */
  const linkRequest = (kind: "magic_link" | "password_reset") => {
    const spec =
      kind === "magic_link"
        ? {
            path: "/portal/login/link",
            title: "E-mail a login link",
            intro: "We send a link that logs you in once, within 15 minutes.",
            submit: "Send the link",
          }
        : {
            path: "/portal/password-reset",
            title: "Reset your password",
            intro: "We send a link to choose a new password, valid for one hour.",
            submit: "Send the link",
          };
    const page = (
      request: FastifyRequest,
      reply: FastifyReply,
      status: number,
      extra: { errors?: FieldErrors; notice?: string; values?: Record<string, string> } = {},
    ) =>
      renderPage(
        reply,
        "form",
        {
          face: "portal",
          title: spec.title,
          heading: spec.title,
          intro: spec.intro,
          action: spec.path,
          submit: spec.submit,
          fields: [{ name: "email", label: "E-mail", type: "email", autocomplete: "email", keep: true }],
          back: { href: FACES.customer.login, text: "Back to login" },
          csrf: csrfToken(request, reply),
          ...extra,
        },
        status,
      );
    app.get(spec.path, PUBLIC, async (request, reply) => page(request, reply, 200));
    app.post(spec.path, { ...PUBLIC_FORM, ...csrf }, async (request, reply) => {
      const { email = "" } = formFields(request);
      // A control character: the form again with the address kept without it; nothing counted or sent.
      if (request.formTextRefusal)
        return page(request, reply, 400, {
          errors: fieldErrorsOf(request.formTextRefusal, ["email"]) ?? {},
          values: { email },
        });
      if (!/^[^\s@]+@[^\s@]+$/.test(email.trim()))
        return page(request, reply, 400, {
          errors: { email: "Enter a valid e-mail address." },
          values: { email },
        });
      // Each request counts, found or not, before anything is sent: nobody may flood an inbox, nor in parallel,
      // nor by spelling the address anew. A refused request sends nothing but is answered as any other: until
      // 2026-12-06 it was a 429, so a stranger who used up an address's count kept its owner from any link.
      // The owner's browser (a link or reset asked from a known device, login-device.ts) is counted by that
      // device alone, so the strangers' count does not stop its link. Until 2026-12-06 a reset request never
      // carried the cookie (its path was the login's) and was counted by the address alone. The answer is the
      // same whatever the address, so it tells nothing.
      const ctx = deps.contextOf(request);
      const device = await knownLoginDevice(request, deps.devices, "customer", () =>
        customerDeviceSubject(ctx, { email }),
      );
      const verdict = await deps.limiter.attempt(loginKey(email, kind), request.ip, device);
      // Only a job is written, the same for any address: the job finds the customer and mails the link, so
      // the answer's time says nothing about whether the address is a customer's (portal-link-mail.ts).
      if (verdict.allowed) await requestPortalLink(ctx, email, kind);
      return page(request, reply, 200, { notice: SENT });
    });
  };
  linkRequest("magic_link");
  linkRequest("password_reset");

  const tokenOf = (request: FastifyRequest) => {
    const value = (request.query as Record<string, unknown> | undefined)?.["token"];
    return typeof value === "string" ? value : "";
  };

  /**
   * The page of a link whose token is spent, retired or expired, said as it opens, with no form: the open
   * checks the token without spending it (portalTokenIsLive). Until 2026-12-06 the form was drawn and only
   * its button (or a new password typed) found out. 401, as the form's answer to the same token.
   */
  const staleLinkPage = (request: FastifyRequest, reply: FastifyReply, purpose: PortalTokenPurpose) =>
    renderPage(
      reply,
      "message",
      {
        face: "portal",
        title: "Link not valid",
        heading: "Link not valid",
        message: LINK_STALE,
        back:
          purpose === "magic_link"
            ? { href: "/portal/login/link", text: "Ask for a new login link" }
            : { href: "/portal/password-reset", text: "Ask for a new reset link" },
        csrf: csrfToken(request, reply),
      },
      401,
    );
  const isLive = (request: FastifyRequest, purpose: PortalTokenPurpose) =>
    portalTokenIsLive(deps.contextOf(request), tokenOf(request), purpose);

  /** A page a link opens (log in, choose a new password): its token goes on in a hidden field. */
  const linkFormPage =
    (page: LinkPage) =>
    (request: FastifyRequest, reply: FastifyReply, token: string, status: number, errors: FieldErrors = {}) =>
      renderPage(
        reply,
        "form",
        { face: "portal", ...page, hidden: { token }, errors, csrf: csrfToken(request, reply) },
        status,
      );

  const openLinkPage = linkFormPage({
    title: "Log in",
    heading: "Log in with your link",
    intro: "Press the button to log in.",
    action: "/portal/login/link/open",
    submit: "Log in",
    back: { href: "/portal/login/link", text: "Ask for a new link" },
  });
  // A database that does not answer is the login's outage page (loginStep), as at the password.
  app.get(
    "/portal/login/link/open",
    PUBLIC,
    loginStep(async (request, reply) =>
      (await isLive(request, "magic_link"))
        ? openLinkPage(request, reply, tokenOf(request), 200)
        : staleLinkPage(request, reply, "magic_link"),
    ),
  );
  const openLink = loginStep(async (request: FastifyRequest, reply: FastifyReply) => {
    const { token = "" } = formFields(request);
    // A token with a control character or past the bound is no token this site sent: refused as a stale
    // one, without a lookup (it was the bare 400 error page until 2026-12-05).
    if (request.formTextRefusal) return openLinkPage(request, reply, "", 400, { form: LINK_DAMAGED });
    try {
      // The link spent and the session started together (a password change meanwhile ends it).
      return await logIn(request, reply, (ctx) => startPortalLinkSession(ctx, token));
    } catch (error) {
      if (asServiceErrorCode(error) !== "UNAUTHORIZED") throw error;
      return openLinkPage(request, reply, "", 401, {
        form: LINK_STALE,
      });
    }
  });
  app.post("/portal/login/link/open", { ...PUBLIC_FORM, ...csrf }, openLink);

  // The page names the account the link is for (its e-mail, read-only, for password managers), read with the
  // check that the link is live; until 2026-12-06 the username field was empty.
  const newPasswordPage = async (
    request: FastifyRequest,
    reply: FastifyReply,
    token: string,
    status: number,
    errors: FieldErrors = {},
  ) => {
    const email = token === "" ? undefined : await tokenEmail(request, token);
    return linkFormPage({ ...NEW_PASSWORD_PAGE, username: email ?? "" })(
      request,
      reply,
      token,
      status,
      errors,
    );
  };
  const tokenEmail = (request: FastifyRequest, token: string) =>
    livePortalTokenEmail(deps.contextOf(request), token, "password_reset");
  // A database that does not answer is the login's outage page (loginStep), as at the login link's page.
  app.get(
    "/portal/password-reset/new",
    PUBLIC,
    loginStep(async (request, reply) => {
      const token = tokenOf(request);
      const email = await tokenEmail(request, token);
      if (email === undefined) return staleLinkPage(request, reply, "password_reset");
      return linkFormPage({ ...NEW_PASSWORD_PAGE, username: email })(request, reply, token, 200);
    }),
  );
  const setNewPassword = loginStep(async (request: FastifyRequest, reply: FastifyReply) => {
    const { token = "", password = "" } = formFields(request);
    // Only the hidden token can hold what the text check refuses (a password is only bounded, page-text-input.ts).
    if (request.formTextRefusal) return newPasswordPage(request, reply, "", 400, { form: LINK_DAMAGED });
    try {
      await resetPortalPassword(deps.contextOf(request), token, password);
    } catch (error) {
      const code = asServiceErrorCode(error);
      if (code === "VALIDATION")
        return newPasswordPage(request, reply, token, 400, {
          // The verb's own bound (at least 12, at most 200): until 2026-12-05 a 201-character password was
          // told to have at least 12.
          password: `The password ${asServiceError(error)?.issues[0]?.message ?? "is not valid"}.`,
        });
      if (code !== "UNAUTHORIZED") throw error;
      return newPasswordPage(request, reply, "", 401, {
        form: LINK_STALE,
      });
    }
    return reply.redirect("/portal/login?notice=password_changed", 303);
  });
  app.post("/portal/password-reset/new", { ...PUBLIC_FORM, ...csrf }, setNewPassword);

  registerLogoutRoutes(app, deps, "customer", CUSTOMER.config);
}
