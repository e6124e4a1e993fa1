import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { isServiceError, ServiceError } from "../../kernel/errors.ts";
import { effectiveConfiguration } from "../../services/setup/effective-config.ts";
import type { StaffRole } from "../../services/staff/staff-roles.ts";
import { STAFF_ROLES } from "../../services/staff/staff-roles.ts";
import { listStaffUserPage } from "../../services/staff/list-staff-user-page.ts";
import {
  enableStaffUser,
  resetStaffTwoFactor,
  setStaffPassword,
} from "../../services/staff/staff-repairs.ts";
import {
  changeStaffRole,
  createStaffUser,
  disableStaffUser,
  getStaffUser,
  listStaffUsers,
  type StaffUser,
} from "../../services/staff/staff-users.ts";
import { confirmStaffAction, pageQuery, pagerOf, staffPage, when } from "../page-kit.ts";
import type { FieldErrors } from "../render.ts";
import { formFields, type WebDeps } from "../web-deps.ts";
import { fieldErrorsOf, noticeFrom, param, queryText, STAFF, STAFF_FORM } from "./page-helpers.ts";
import { refuseFormText } from "../page-text-input.ts";
import { leaveShownOnce, STAFF_SECRET_SHOWN_ONCE, takeShownOnce } from "../shown-once.ts";
import { isolated } from "../isolated.ts";

// Settings: the configuration the server runs with (read only — it is parsed once at start and frozen, so
// nothing in it can change while the server runs; secrets masked as `tokenbill config` masks them, and where
// the systems are only to owners and admins), and the staff users, 50 a page, which owners and admins create,
// give another role, disable or enable, and repair: a new one-time password, or two-factor login turned off
// after a lost phone (staff-repairs.ts).

const NOTICES: Record<string, string> = {
  role_changed: "The role is changed; it applies from the user's next click.",
  disabled: "The user is disabled and every session of theirs has ended.",
  already_disabled: "The user was already disabled; nothing changed.",
  already_disabled_keys:
    "The user was already disabled, but API keys they created were still active (from before tokenbill recorded who creates a key).",
  enabled: "The user is enabled again and can log in with their password.",
  already_enabled: "The user was already enabled; nothing changed.",
  two_factor_off:
    "Two-factor login is off for the user and every session of theirs has ended; they log in with their password.",
  two_factor_already_off: "Two-factor login was already off for the user; nothing changed.",
};

const STAFF_FIELDS = ["email", "name", "role", "password"] as const;

/**
 * The notice, with how many API keys the change revoked when it revoked any (`keys` in the redirect's
 * query: a count only, so nothing a link could forge says more than a number).
 */
function staffNotice(request: FastifyRequest): string | undefined {
  const notice = noticeFrom(request, NOTICES);
  const keys = queryText(request, "keys");
  if (notice === undefined || keys === undefined || !/^[1-9][0-9]{0,5}$/.test(keys)) return notice;
  return `${notice} ${keys === "1" ? "1 API key" : `${keys} API keys`} they created ${keys === "1" ? "is" : "are"} revoked.`;
}

/** The settings page's address after a change, with its notice and the count of API keys it revoked. */
function afterChange(notice: string, keysRevoked: readonly string[]): string {
  const keys = keysRevoked.length > 0 ? `&keys=${keysRevoked.length}` : "";
  return `/console/settings?notice=${notice}${keys}`;
}

export function registerSettingsPages(app: FastifyInstance, deps: WebDeps): void {
  const csrf = { preHandler: app.csrfProtection };

  const settingsPage = async (
    request: FastifyRequest,
    reply: FastifyReply,
    extra: {
      created?: { email: string; role: string; password?: string };
      /** A one-time password just given to an existing user: shown on this answer only. */
      reset?: { email: string; password: string };
      errors?: FieldErrors;
      values?: Record<string, string>;
    } = {},
    status = 200,
  ) => {
    const ctx = deps.contextOf(request);
    const config = await effectiveConfiguration({ ctx, input: {} });
    // Staff are listed only to those who manage them; the others see the configuration alone.
    let staff: (StaffUser & { created: string })[] | undefined;
    let pager: ReturnType<typeof pagerOf> | undefined;
    try {
      const page = await listStaffUserPage({ ctx, input: pageQuery(request) });
      staff = page.data.map((u) => ({ ...u, created: when(u.created_at) }));
      pager = pagerOf(request, page.meta, "page", "/console/settings");
    } catch (error) {
      if (!isServiceError(error) || error.code !== "FORBIDDEN") throw error;
    }
    return staffPage(
      deps,
      request,
      reply,
      "console-settings",
      {
        title: "Settings",
        config,
        staff,
        pager,
        roles: STAFF_ROLES,
        // Offered to those who manage staff (owners, admins: takeBackup's roles), on the embedded database.
        backup: staff !== undefined && ctx.backup !== undefined,
        notice: staffNotice(request),
        ...extra,
      },
      status,
    );
  };

  // A user just created, or a password just reset, left by the form for this view alone (shown-once.ts).
  app.get("/console/settings", STAFF, async (request, reply) => {
    const left = takeShownOnce(request, reply, deps.config, STAFF_SECRET_SHOWN_ONCE);
    const { email, role, password } = left ?? {};
    if (email !== undefined && role !== undefined)
      return settingsPage(request, reply, { created: { email, role, ...(password ? { password } : {}) } });
    if (email !== undefined && password !== undefined)
      return settingsPage(request, reply, { reset: { email, password } });
    return settingsPage(request, reply);
  });

  // A confirmation names the person it is about, as the list shows them; an id that is no one's is a 404.
  const staffUserOf = (request: FastifyRequest) =>
    getStaffUser({ ctx: deps.contextOf(request), input: { id: param(request, "id") } });

  // Post/Redirect/Get: the user (and a generated password) are shown on the settings page the form
  // redirects to, so reloading that page makes no second user.
  app.post("/console/settings/staff", { ...STAFF_FORM, ...csrf }, async (request, reply) => {
    const form = formFields(request);
    const values = { email: form["email"] ?? "", name: form["name"] ?? "", role: form["role"] ?? "" };
    const password = form["password"] ?? "";
    try {
      refuseFormText(request);
      const created = await createStaffUser({
        ctx: deps.contextOf(request),
        // The verb checks the role against its list; the cast only passes the form's text on.
        input: { ...values, role: values.role as StaffRole, ...(password === "" ? {} : { password }) },
      });
      leaveShownOnce(request, reply, deps.config, STAFF_SECRET_SHOWN_ONCE, {
        email: created.email,
        role: created.role,
        ...(created.password ? { password: created.password } : {}),
      });
      return reply.redirect("/console/settings", 303);
    } catch (error) {
      const errors =
        fieldErrorsOf(error, STAFF_FIELDS) ??
        (isServiceError(error) && error.code === "CONFLICT"
          ? { email: "A staff user with this e-mail already exists." }
          : undefined);
      if (!errors) throw error;
      return settingsPage(
        request,
        reply,
        { errors, values },
        error instanceof ServiceError && error.code === "CONFLICT" ? 409 : 400,
      );
    }
  });

  // A role the select does not offer, or one holding a control character, is said on the settings page
  // (until 2026-12-05 the bare 400 error page); nothing changes.
  app.post("/console/settings/staff/:id/role", { ...STAFF_FORM, ...csrf }, async (request, reply) => {
    const { role = "" } = formFields(request);
    let changed: Awaited<ReturnType<typeof changeStaffRole>>;
    try {
      refuseFormText(request);
      changed = await changeStaffRole({
        ctx: deps.contextOf(request),
        input: { id: param(request, "id"), role: role as StaffRole },
      });
    } catch (error) {
      if (fieldErrorsOf(error, ["role"])?.["role"] === undefined) throw error;
      const user = await staffUserOf(request);
      const form = `The role of ${user.email} was not changed: choose one of ${STAFF_ROLES.join(", ")}.`;
      return settingsPage(request, reply, { errors: { form } }, 400);
    }
    return reply.redirect(afterChange("role_changed", changed.api_keys_revoked), 303);
  });

  app.get("/console/settings/staff/:id/disable", STAFF, async (request, reply) => {
    const user = await staffUserOf(request);
    return confirmStaffAction(deps, request, reply, {
      title: "Disable staff user",
      message: `The staff user ${personOf(user)} can no longer log in, every session of theirs ends at once, and every API key they created is revoked (the next page says how many).`,
      action: `/console/settings/staff/${encodeURIComponent(user.id)}/disable`,
      submit: "Disable user",
      cancel: "/console/settings",
    });
  });

  app.post("/console/settings/staff/:id/disable", { ...STAFF, ...csrf }, async (request, reply) => {
    const user = await disableStaffUser({
      ctx: deps.contextOf(request),
      input: { id: param(request, "id") },
    });
    return reply.redirect(
      afterChange(
        user.changed
          ? "disabled"
          : user.api_keys_revoked.length > 0
            ? "already_disabled_keys"
            : "already_disabled",
        user.api_keys_revoked,
      ),
      303,
    );
  });

  /** A repair's confirmation page and its POST, which ends on the settings page with a notice. */
  const repair = (
    path: string,
    confirmation: (person: string) => { title: string; message: string; submit: string },
    act: (request: FastifyRequest, reply: FastifyReply, id: string) => Promise<FastifyReply | string>,
  ) => {
    app.get(`/console/settings/staff/:id/${path}`, STAFF, async (request, reply) => {
      const user = await staffUserOf(request);
      return confirmStaffAction(deps, request, reply, {
        ...confirmation(personOf(user)),
        action: `/console/settings/staff/${encodeURIComponent(user.id)}/${path}`,
        cancel: "/console/settings",
      });
    });
    app.post(`/console/settings/staff/:id/${path}`, { ...STAFF, ...csrf }, async (request, reply) => {
      const done = await act(request, reply, param(request, "id"));
      return typeof done === "string" ? reply.redirect(`/console/settings?notice=${done}`, 303) : done;
    });
  };

  repair(
    "enable",
    (person) => ({
      title: "Enable staff user",
      message: `The staff user ${person} can log in again with their password and second factor.`,
      submit: "Enable user",
    }),
    async (request, _reply, id) =>
      (await enableStaffUser({ ctx: deps.contextOf(request), input: { id } })).changed
        ? "enabled"
        : "already_enabled",
  );

  repair(
    "two-factor",
    (person) => ({
      title: "Turn off two-factor login",
      message: `The staff user ${person} logs in with the password alone until they enrol again (for a lost phone). Every session of theirs ends at once.`,
      submit: "Turn off two-factor login",
    }),
    async (request, _reply, id) =>
      (await resetStaffTwoFactor({ ctx: deps.contextOf(request), input: { id } })).changed
        ? "two_factor_off"
        : "two_factor_already_off",
  );

  // As a created user's, the one-time password is shown on the settings page the form redirects to.
  repair(
    "password",
    (person) => ({
      title: "Reset password",
      message: `The staff user ${person} gets a new one-time password, shown once on the next page; their old password stops working and every session of theirs ends at once.`,
      submit: "Reset password",
    }),
    async (request, reply, id) => {
      const ctx = deps.contextOf(request);
      const { password } = await setStaffPassword({ ctx, input: { id } });
      const user = (await listStaffUsers({ ctx, input: {} })).find((u) => u.id === id);
      leaveShownOnce(request, reply, deps.config, STAFF_SECRET_SHOWN_ONCE, {
        email: user?.email ?? id,
        password: password!,
      });
      return reply.redirect("/console/settings", 303);
    },
  );
}

/** A staff user as a confirmation names them, as the list does: "Sue Support (support@example.com)". */
function personOf(user: StaffUser): string {
  return user.name === "" ? isolated(user.email) : `${isolated(user.name)} (${isolated(user.email)})`;
}
