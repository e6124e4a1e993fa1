import type { FastifyRequest } from "fastify";
import { ServiceError } from "../../kernel/errors.ts";
import { requireStaffRole, type StaffRole } from "../../services/staff/staff-roles.ts";
import type { WebDeps } from "../web-deps.ts";
import { queryText } from "../list-filters.ts";

export { queryText };
import type { FieldErrors } from "../render.ts";
import { sentence } from "../page-sentence.ts";
import { hiddenFieldText } from "../page-text-input.ts";

// Small pieces every console page shares: the route options, the query's text, the fixed notices.

/** Route options of a console page; every POST adds the CSRF check. */
export const STAFF = { config: { access: "staff" as const } };

/**
 * Route options of a console page's script: open to a staff user who must still change a generated password
 * (session-gate.ts), as the change-password page uses the layout's assets like any other.
 */
export const ASSET = { config: { access: "staff" as const, beforePasswordChange: true } };

/**
 * Route options of a console form that shows itself again on a refusal, control characters included
 * (page-text-input.ts, reshowsForm): its try block starts with refuseFormText(request).
 */
export const STAFF_FORM = { config: { access: "staff" as const, reshowsForm: true } };

/**
 * Route options of a console page that draws a form for a verb of `roles`: a role the verb would refuse gets
 * the 403 page on opening it, before anything is typed, not on sending it (requireStaffRole, the verb's own
 * check, which still refuses the POST).
 */
export function staffFormOf(deps: WebDeps, roles: readonly StaffRole[]) {
  return {
    ...STAFF,
    preHandler: async (request: FastifyRequest) => {
      await requireStaffRole(deps.contextOf(request), ...roles);
    },
  };
}

/** A fixed notice chosen by `?notice=`: the URL picks one of `notices`, its text is never echoed. */
export function noticeFrom(request: FastifyRequest, notices: Record<string, string>): string | undefined {
  const key = queryText(request, "notice");
  return key !== undefined && Object.hasOwn(notices, key) ? notices[key] : undefined;
}

/** A route's `:name` parameter as text. */
export function param(request: FastifyRequest, name: string): string {
  return String((request.params as Record<string, unknown>)[name] ?? "");
}

/**
 * A verb's validation failure as messages next to the fields it names (fields not on the form go to
 * `form`); undefined for any other error, which the page's error handler answers.
 */
export function fieldErrorsOf(error: unknown, fields: readonly string[]): FieldErrors | undefined {
  if (!(error instanceof ServiceError) || error.code !== "VALIDATION") return undefined;
  const errors: FieldErrors = {};
  for (const issue of error.issues) {
    const field = issue.field.split(".").at(-1) ?? "";
    if (fields.includes(field)) errors[field] ??= sentence(issue.message);
    else errors["form"] ??= hiddenFieldText(issue) ?? sentence(`${issue.field}: ${issue.message}`);
  }
  if (error.issues.length === 0) errors["form"] = sentence(error.message);
  return errors;
}
