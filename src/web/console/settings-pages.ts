import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { isServiceError, ServiceError } from "../../kernel/errors.ts";
import { effectiveConfiguration } from "../../services/setup/effective-config.ts";
import type { StaffRole } from "../../services/staff/staff-roles.ts";
import { STAFF_ROLES } from "../../services/staff/staff-roles.ts";
import {
  changeStaffRole,
  createStaffUser,
  disableStaffUser,
  listStaffUsers,
  type StaffUser,
} from "../../services/staff/staff-users.ts";
import { confirmStaffAction, staffPage, when } from "../page-kit.ts";
import type { FieldErrors } from "../render.ts";
import { formFields, type WebDeps } from "../web-deps.ts";
import { fieldErrorsOf, noticeFrom, param, STAFF } from "./page-helpers.ts";

// Settings: the configuration the server runs with (read only — it is parsed once at start and frozen, so
// nothing in it can change while the server runs; secrets masked as `tokenbill config` masks them), and
// the staff users, which owners and admins create, give another role or disable.

const NOTICES: Record<string, string> = {
  role_changed: "The role is changed; it applies from the user's next click.",
  disabled: "The user is disabled and every session of theirs has ended.",
};

const STAFF_FIELDS = ["email", "name", "role", "password"] as const;

export function registerSettingsPages(app: FastifyInstance, deps: WebDeps): void {
  const csrf = { preHandler: app.csrfProtection };

  const settingsPage = async (
    request: FastifyRequest,
    reply: FastifyReply,
    extra: {
      created?: StaffUser & { password?: string };
      errors?: FieldErrors;
      values?: Record<string, string>;
    } = {},
    status = 200,
  ) => {
    const ctx = deps.contextOf(request);
    const config = await effectiveConfiguration({ ctx, input: {} });
    // Staff are listed only to those who manage them; the others see the configuration alone.
    let staff: (StaffUser & { created: string })[] | undefined;
    try {
      staff = (await listStaffUsers({ ctx, input: {} })).map((u) => ({ ...u, created: when(u.created_at) }));
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
        roles: STAFF_ROLES,
        notice: noticeFrom(request, NOTICES),
        ...extra,
      },
      status,
    );
  };

  app.get("/console/settings", STAFF, async (request, reply) => settingsPage(request, reply));

  // Answered with the page itself: a generated password exists only in this answer.
  app.post("/console/settings/staff", { ...STAFF, ...csrf }, async (request, reply) => {
    const form = formFields(request);
    const values = { email: form["email"] ?? "", name: form["name"] ?? "", role: form["role"] ?? "" };
    const password = form["password"] ?? "";
    try {
      const created = await createStaffUser({
        ctx: deps.contextOf(request),
        // The verb checks the role against its list; the cast only passes the form's text on.
        input: { ...values, role: values.role as StaffRole, ...(password === "" ? {} : { password }) },
      });
      return settingsPage(request, reply, { created });
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

  app.post("/console/settings/staff/:id/role", { ...STAFF, ...csrf }, async (request, reply) => {
    const { role = "" } = formFields(request);
    await changeStaffRole({
      ctx: deps.contextOf(request),
      input: { id: param(request, "id"), role: role as StaffRole },
    });
    return reply.redirect("/console/settings?notice=role_changed", 303);
  });

  app.get("/console/settings/staff/:id/disable", STAFF, async (request, reply) => {
    const id = param(request, "id");
    return confirmStaffAction(deps, request, reply, {
      title: "Disable staff user",
      message: `The staff user ${id} can no longer log in, and every session of theirs ends at once.`,
      action: `/console/settings/staff/${encodeURIComponent(id)}/disable`,
      submit: "Disable user",
      cancel: "/console/settings",
    });
  });

  app.post("/console/settings/staff/:id/disable", { ...STAFF, ...csrf }, async (request, reply) => {
    await disableStaffUser({ ctx: deps.contextOf(request), input: { id: param(request, "id") } });
    return reply.redirect("/console/settings?notice=disabled", 303);
  });
}
