import { z } from "zod";
import type { VerbArgs } from "../../kernel/context.ts";
import type { KeysetPage } from "../../kernel/list-cursor.ts";
import type { Page } from "../../kernel/pagination.ts";
import { type AnyRouteSpec, defineRoute } from "../route.ts";

// The five admin verbs of a resource, declared in one place: every resource behaves the same way
// (list with pagination, get, create 201, partial update, delete 204) and documents itself the same way.

interface CrudSpec<K, C, U, L, T> {
  path: string; // e.g. "/api/v1/customers"
  tag: string;
  singular: string;
  key: z.ZodType<K>; // path parameter schema: { id } or { code }
  keyName: string;
  create: z.ZodType<C>;
  update: z.ZodType<U>;
  listQuery: z.ZodType<L>;
  output: z.ZodType<T>;
  /** What the delete refuses and why, for the OpenAPI document. */
  removeDescription?: string;
  /** The list is a keyset list: `cursor` in, `meta.next_cursor` out (src/kernel/list-cursor.ts). */
  cursor?: boolean;
  /** The create takes an Idempotency-Key (its verb claims it: src/kernel/idempotency-key.ts). */
  idempotentCreate?: boolean;
  verbs: {
    create(args: VerbArgs<C>): Promise<T>;
    get(args: VerbArgs<K>): Promise<T>;
    /** A keyset list (`cursor` in, `meta.next_cursor` out) or a list by page number only. */
    list(args: VerbArgs<L>): Promise<Page<T> | KeysetPage<T>>;
    update(args: VerbArgs<K & { patch: U }>): Promise<T>;
    remove(args: VerbArgs<K>): Promise<void>;
  };
}

export function crudRoutes<K, C, U, L, T>(spec: CrudSpec<K, C, U, L, T>): AnyRouteSpec[] {
  const item = `${spec.path}/{${spec.keyName}}`;
  const { tag, singular, verbs } = spec;
  return [
    defineRoute({
      method: "GET",
      url: spec.path,
      tag,
      summary: `List ${tag}`,
      query: spec.listQuery,
      response: z.array(spec.output),
      paged: spec.cursor ? "cursor" : true,
      handler: ({ ctx, query }) => verbs.list({ ctx, input: query as L }),
    }),
    defineRoute({
      method: "POST",
      url: spec.path,
      tag,
      summary: `Create a ${singular}`,
      body: spec.create,
      response: spec.output,
      status: 201,
      idempotent: spec.idempotentCreate ?? false,
      handler: ({ ctx, body }) => verbs.create({ ctx, input: body as C }),
    }),
    defineRoute({
      method: "GET",
      url: item,
      tag,
      summary: `Get a ${singular}`,
      params: spec.key,
      response: spec.output,
      handler: ({ ctx, params }) => verbs.get({ ctx, input: params as K }),
    }),
    defineRoute({
      method: "PATCH",
      url: item,
      tag,
      summary: `Update a ${singular} (only the fields sent change)`,
      params: spec.key,
      body: spec.update,
      response: spec.output,
      handler: ({ ctx, params, body }) =>
        verbs.update({ ctx, input: { ...(params as K), patch: body as U } }),
    }),
    defineRoute({
      method: "DELETE",
      url: item,
      tag,
      summary: `Delete a ${singular}`,
      ...(spec.removeDescription ? { description: spec.removeDescription } : {}),
      params: spec.key,
      status: 204,
      handler: ({ ctx, params }) => verbs.remove({ ctx, input: params as K }),
    }),
  ];
}
