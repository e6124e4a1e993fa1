import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { ServiceContext } from "../../kernel/context.ts";
import type { Page } from "../../kernel/pagination.ts";
import { confirmStaffAction, pageQuery, pagerOf, staffPage } from "../page-kit.ts";
import type { FieldErrors } from "../render.ts";
import { formFields, type WebDeps } from "../web-deps.ts";
import { asServiceError, ServiceError } from "../../kernel/errors.ts";
import type { FormField } from "./pricing-form-kit.ts";
import { type FormFailure, formFailureOf } from "../form-failure.ts";
import { STAFF, noticeFrom, staffFormOf } from "./page-helpers.ts";
import { ADMIN_ROLES } from "../../services/staff/staff-roles.ts";
import { refuseFormText } from "../page-text-input.ts";

// The pricing resources (currencies, plan prices, discounts, client groups, tax rules) behave alike: a list
// with edit and delete links, a form to create, the same form to edit, a confirmation before deleting. One
// description per resource (pricing-*-pages.ts) gives its columns, fields and verbs; this file makes the
// seven routes of each. The verbs check the staff role and validate; the page shows what they answer.

export interface Cell {
  text: string;
  num?: boolean;
  badge?: "ok" | "warn" | "bad" | "";
}

export interface ResourceVerbs<T> {
  list(args: { ctx: ServiceContext; input: { page: number; per_page: number } }): Promise<Page<T>>;
  get(args: { ctx: ServiceContext; input: never }): Promise<T>;
  create(args: { ctx: ServiceContext; input: never }): Promise<T>;
  update(args: { ctx: ServiceContext; input: never }): Promise<T>;
  remove(args: { ctx: ServiceContext; input: never }): Promise<void>;
}

export interface ResourcePages<T> {
  /** The URL part: /console/pricing/<slug>. */
  slug: string;
  title: string;
  singular: string;
  intro?: string;
  /**
   * Said after "Created." or "Saved." with a link, when a saved row changes nothing outside tokenbill until a
   * further step (a plan price reaches SolusIO only when setup is applied).
   */
  afterSave?: { text: string; link: { href: string; text: string } };
  /**
   * Said after "Deleted." when a deleted row leaves something outside tokenbill as it was (a plan's prices in
   * SolusIO, which setup no longer changes).
   */
  afterDelete?: { text: string };
  headers: readonly { text: string; num?: boolean }[];
  keyOf(row: T): string;
  nameOf(row: T): string;
  /** The verbs' key input for a URL key: { code } or { id }. */
  keyInput(key: string): Record<string, unknown>;
  cells(row: T, ctx: ServiceContext): Promise<Cell[]> | Cell[];
  fields(ctx: ServiceContext): Promise<FormField[]> | FormField[];
  /** The form's values for an existing row. */
  valuesOf(row: T): Record<string, string>;
  /** The form as the verb's input (create) or patch (update); the verb validates it. */
  inputOf(form: Record<string, string>, mode: "create" | "update"): Record<string, unknown>;
  fieldOf?: (path: string) => string;
  /** Textarea fields read line by line: their line breaks pass the pages' text check (page-text-input.ts). */
  lineFields?: readonly string[];
  verbs: ResourceVerbs<T>;
  /**
   * A conflict the verb answers from a unique key of the database, naming no field (a plan's name that has
   * a price), worded for the form next to the field it is about; without it, the verb's message goes above.
   */
  uniqueConflict?(form: Record<string, string>): { field: string; message: string };
  /** More for the list page (the plan calculator). */
  extra?(request: FastifyRequest, ctx: ServiceContext): Promise<Record<string, unknown>>;
}

const NOTICES: Record<string, string> = {
  created: "Created.",
  updated: "Saved.",
  deleted: "Deleted.",
};

/** What the resource says after the list's notice: after a create or save, or after a delete. */
function afterNoticeOf<T>(
  spec: ResourcePages<T>,
  request: FastifyRequest,
): { text: string; link?: { href: string; text: string } } | undefined {
  const notice = noticeFrom(request, NOTICES);
  if (notice === NOTICES["created"] || notice === NOTICES["updated"]) return spec.afterSave;
  return notice === NOTICES["deleted"] ? spec.afterDelete : undefined;
}

export function registerResourcePages<T>(app: FastifyInstance, deps: WebDeps, spec: ResourcePages<T>): void {
  const base = `/console/pricing/${spec.slug}`;
  const csrf = { preHandler: app.csrfProtection };
  // The create and edit forms post the textareas' line breaks; every other route takes none. They show
  // themselves again on a control character (page-text-input.ts), so their try blocks start refuseFormText.
  const formRoute = {
    config: { ...STAFF.config, lineFields: spec.lineFields ?? [], reshowsForm: true },
    ...csrf,
  };
  const call = <R>(
    verb: (args: { ctx: ServiceContext; input: never }) => Promise<R>,
    ctx: ServiceContext,
    input: unknown,
  ) => verb({ ctx, input: input as never });

  const uniqueConflictOf = (error: unknown, form: Record<string, string>): FormFailure | undefined => {
    const e = asServiceError(error);
    if (!spec.uniqueConflict || e?.code !== "CONFLICT" || e.issues.length > 0) return undefined;
    const { field, message } = spec.uniqueConflict(form);
    return { status: 409, errors: { [field]: message } };
  };

  const listPage = async (
    request: FastifyRequest,
    reply: FastifyReply,
    status = 200,
    errors: FieldErrors = {},
  ) => {
    const ctx = deps.contextOf(request);
    const page = await spec.verbs.list({ ctx, input: pageQuery(request) });
    const rows = [];
    for (const row of page.data)
      rows.push({ key: spec.keyOf(row), name: spec.nameOf(row), cells: await spec.cells(row, ctx) });
    return staffPage(
      deps,
      request,
      reply,
      "console-pricing-list",
      {
        title: spec.title,
        singular: spec.singular,
        intro: spec.intro,
        base,
        headers: spec.headers,
        rows,
        pager: pagerOf(request, page.meta),
        notice: status === 200 ? noticeFrom(request, NOTICES) : undefined,
        afterNotice: status === 200 ? afterNoticeOf(spec, request) : undefined,
        errors,
        ...(spec.extra ? await spec.extra(request, ctx) : {}),
      },
      status,
    );
  };

  const formPage = async (
    request: FastifyRequest,
    reply: FastifyReply,
    mode: "create" | "update",
    values: Record<string, string>,
    key?: string,
    failure: { status: number; errors: FieldErrors } = { status: 200, errors: {} },
  ) => {
    const fields = (await spec.fields(deps.contextOf(request))).filter(
      (f) => mode === "create" || !f.createOnly,
    );
    return staffPage(
      deps,
      request,
      reply,
      "console-pricing-form",
      {
        title: mode === "create" ? `New ${spec.singular}` : `Edit ${spec.singular}`,
        heading:
          mode === "create"
            ? `New ${spec.singular}`
            : `Edit ${spec.singular} ${values["_name"] ?? ""}`.trim(),
        action: mode === "create" ? base : `${base}/${encodeURIComponent(key!)}`,
        submit: mode === "create" ? `Create ${spec.singular}` : "Save",
        cancel: base,
        fields,
        values,
        errors: failure.errors,
      },
      failure.status,
    );
  };

  const shownFields = async (request: FastifyRequest) =>
    (await spec.fields(deps.contextOf(request))).map((f) => f.name);

  app.get(base, STAFF, (request, reply) => listPage(request, reply));

  app.get(`${base}/new`, staffFormOf(deps, ADMIN_ROLES), (request, reply) =>
    formPage(request, reply, "create", {}),
  );

  app.post(base, formRoute, async (request, reply) => {
    const form = formFields(request);
    try {
      refuseFormText(request);
      await call(spec.verbs.create, deps.contextOf(request), spec.inputOf(form, "create"));
    } catch (error) {
      const failure =
        uniqueConflictOf(error, form) ?? formFailureOf(error, await shownFields(request), spec.fieldOf);
      if (!failure) throw error;
      return formPage(request, reply, "create", form, undefined, failure);
    }
    return reply.redirect(`${base}?notice=created`, 303);
  });

  app.get<{ Params: { key: string } }>(
    `${base}/:key/edit`,
    staffFormOf(deps, ADMIN_ROLES),
    async (request, reply) => {
      const row = await call(spec.verbs.get, deps.contextOf(request), spec.keyInput(request.params.key));
      return formPage(
        request,
        reply,
        "update",
        { ...spec.valuesOf(row), _name: spec.nameOf(row) },
        spec.keyOf(row),
      );
    },
  );

  app.post<{ Params: { key: string } }>(`${base}/:key`, formRoute, async (request, reply) => {
    const form = formFields(request);
    const ctx = deps.contextOf(request);
    try {
      refuseFormText(request);
      await call(spec.verbs.update, ctx, {
        ...spec.keyInput(request.params.key),
        patch: spec.inputOf(form, "update"),
      });
    } catch (thrown) {
      const error = asFormIssues(thrown);
      const failure =
        uniqueConflictOf(error, form) ?? formFailureOf(error, await shownFields(request), spec.fieldOf);
      if (!failure) throw thrown;
      return formPage(request, reply, "update", form, request.params.key, failure);
    }
    return reply.redirect(`${base}?notice=updated`, 303);
  });

  app.get<{ Params: { key: string } }>(
    `${base}/:key/delete`,
    staffFormOf(deps, ADMIN_ROLES),
    async (request, reply) => {
      const row = await call(spec.verbs.get, deps.contextOf(request), spec.keyInput(request.params.key));
      const key = encodeURIComponent(spec.keyOf(row));
      return confirmStaffAction(deps, request, reply, {
        title: `Delete ${spec.singular} ${spec.nameOf(row)}?`,
        message: `The ${spec.singular} ${spec.nameOf(row)} is deleted for good. Invoices already issued keep what they say.`,
        action: `${base}/${key}/delete`,
        submit: `Delete ${spec.singular}`,
        cancel: base,
      });
    },
  );

  app.post<{ Params: { key: string } }>(
    `${base}/:key/delete`,
    { ...STAFF, ...csrf },
    async (request, reply) => {
      try {
        await call(spec.verbs.remove, deps.contextOf(request), spec.keyInput(request.params.key));
      } catch (error) {
        // A resource still in use (a currency of customers, a group with members) is refused: say so on the list.
        const failure = formFailureOf(error, []);
        if (!failure) throw error;
        return listPage(request, reply, failure.status, failure.errors);
      }
      return reply.redirect(`${base}?notice=deleted`, 303);
    },
  );
}

/**
 * The update verbs take the form's fields inside `patch`, so their issues name `patch.tokens_per_month`: the
 * same issues named as the form names its fields, so they are said beside them (and a list field keeps its
 * line number) as on the create form. Until 2026-12-07 they were said above the form, "Patch.…: …".
 */
export function asFormIssues(error: unknown): unknown {
  const e = asServiceError(error);
  if (!e?.issues.some((i) => i.field.startsWith("patch."))) return error;
  const issues = e.issues.map((i) => ({ ...i, field: i.field.replace(/^patch\./, "") }));
  return new ServiceError(e.code, e.message, issues);
}
