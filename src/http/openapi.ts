import { z } from "zod";
import { ANSWER_CODES } from "./errors.ts";
import { HEAD_LEFT_OUT, leftOutRoutes, SERVICE_PATHS } from "./openapi-other-routes.ts";
import type { AnyRouteSpec } from "./route.ts";

// Builds the OpenAPI 3.1 document from the routes' own zod schemas (the ones they validate with), with the
// service's own routes and the reasons for those it leaves out (openapi-other-routes.ts).

type JsonSchema = Record<string, unknown>;

/**
 * A schema whose metadata names its type (ids and page numbers: `.meta({ type: "integer" })`) keeps only that
 * type. zod would also write out the union it validates with (a string of digits, an integer, a bigint, which
 * JSON Schema cannot say and writes as `{}`), and a `type` beside an `anyOf` holding `{}` reads as "anything"
 * to client generators. zod writes both at one level only where such metadata set the type.
 */
function keepDeclaredType(ctx: { jsonSchema: JsonSchema }): void {
  if (ctx.jsonSchema["type"] !== undefined && ctx.jsonSchema["anyOf"] !== undefined)
    delete ctx.jsonSchema["anyOf"];
}

/** Values JSON cannot carry: a branch of them takes only what a verb re-parses (its own output), never a request. */
const NOT_IN_JSON = new Set(["date", "bigint"]);

/**
 * A union's branch for a Date or a bigint (`instantOrDate`, `isoInstant`: verbs re-parse what an adapter parsed)
 * is written `{}`, and an `anyOf` holding `{}` takes anything: `"paid_at": null` was valid to a generated
 * client and a 400 to the server (until 2026-12-06). In what a request sends such branches are dropped, and
 * a single branch left stands alone.
 */
function dropBranchesJsonCannotCarry(ctx: { zodSchema: unknown; jsonSchema: JsonSchema }): void {
  const def = (ctx.zodSchema as { _zod?: { def?: { type?: string; options?: z.ZodType[] } } })._zod?.def;
  const branches = ctx.jsonSchema["anyOf"];
  if (def?.type !== "union" || !Array.isArray(branches) || branches.length !== def.options?.length) return;
  const kept = branches.filter((_, i) => !NOT_IN_JSON.has(def.options![i]!._zod.def.type));
  if (kept.length === branches.length || kept.length === 0) return;
  if (kept.length > 1) {
    ctx.jsonSchema["anyOf"] = kept;
    return;
  }
  delete ctx.jsonSchema["anyOf"];
  for (const [key, value] of Object.entries(kept[0] as JsonSchema)) ctx.jsonSchema[key] ??= value;
}

function schemaOf(schema: z.ZodType, io: "input" | "output"): JsonSchema {
  const json = z.toJSONSchema(schema, {
    io,
    unrepresentable: "any",
    target: "draft-2020-12",
    override: (ctx) => {
      if (io === "input") dropBranchesJsonCannotCarry(ctx);
      keepDeclaredType(ctx);
    },
  }) as JsonSchema;
  delete json["$schema"];
  return json;
}

/**
 * A whole number a body takes as a JSON integer or a string of digits (`digitsOrInteger`) is, in a path or a
 * query, text either way: its integer form says it, as client generators read parameters best.
 */
function asParameter(schema: JsonSchema): JsonSchema {
  const branches = schema["anyOf"];
  if (!Array.isArray(branches) || branches.length !== 2) return schema;
  const [integer, digits] = branches as JsonSchema[];
  if (integer?.["type"] !== "integer" || digits?.["type"] !== "string") return schema;
  const { anyOf: _, ...rest } = schema;
  // 2^53 bounds a JSON number only: written as digits, an id goes on to 2^63 − 1.
  const { maximum, ...unbounded } = integer;
  return { ...(maximum === Number.MAX_SAFE_INTEGER ? unbounded : integer), ...rest };
}

function parametersOf(schema: z.ZodType | undefined, where: "path" | "query") {
  if (!schema) return [];
  const json = schemaOf(schema, "input");
  const properties = (json["properties"] ?? {}) as Record<string, JsonSchema>;
  const required = new Set((json["required"] ?? []) as string[]);
  return Object.entries(properties).map(([name, documented]) => {
    const s = asParameter(documented);
    return {
      name,
      in: where,
      required: where === "path" || required.has(name),
      schema: s,
      ...(typeof s["description"] === "string" ? { description: s["description"] } : {}),
    };
  });
}

const ErrorEnvelope: JsonSchema = {
  type: "object",
  required: ["error"],
  properties: {
    error: {
      type: "object",
      required: ["code", "message", "requestId"],
      properties: {
        code: { type: "string", enum: [...ANSWER_CODES] },
        message: { type: "string" },
        requestId: { type: "string" },
        issues: {
          type: "array",
          items: { type: "object", properties: { field: { type: "string" }, message: { type: "string" } } },
        },
      },
    },
  },
};

/** The header of a POST a retry must not repeat: refunds, credit notes, a customer's creation (route.idempotent; docs/payments.md). */
const IdempotencyKeyParameter: JsonSchema = {
  name: "Idempotency-Key",
  in: "header",
  required: false,
  description:
    "Makes a retry safe: the same key with the same request is answered as the first time (same status and body, `Idempotent-Replayed: true`) and does nothing again. Keys are kept RETENTION_IDEMPOTENCY_KEYS_HOURS (24 h). Per API key; 1–255 printable ASCII characters, a UUID is a good key.",
  schema: { type: "string", minLength: 1, maxLength: 255, pattern: "^[\\x20-\\x7e]{1,255}$" },
};

const PageMeta: JsonSchema = {
  type: "object",
  properties: {
    page: { type: "integer" },
    per_page: { type: "integer" },
    total: { type: "integer" },
    last_page: { type: "integer" },
  },
};

/** A keyset list's meta (src/kernel/list-cursor.ts): walked by `cursor`, a page has no counted number. */
const CursorPageMeta: JsonSchema = {
  type: "object",
  required: ["page", "per_page", "total", "last_page", "next_cursor"],
  properties: {
    page: {
      type: ["integer", "null"],
      description: "the page number asked for; null on a page reached by `cursor`",
    },
    per_page: { type: "integer" },
    total: {
      type: ["integer", "null"],
      description:
        "rows matching the filters; null when not counted: a page by `cursor` counts only with `total=true`, " +
        "a page by number unless `total=false`",
    },
    last_page: { type: ["integer", "null"], description: "the last page by number; null when total is" },
    next_cursor: {
      type: ["string", "null"],
      description:
        "send it as `cursor`, with the same filters, for the next page; null on the last page. Opaque: a " +
        "cursor changed, cut, or sent with other filters or to another list is refused with 400",
    },
  },
};

/** A raw body: text for text/* types, bytes otherwise (a PDF). */
function rawContent(contentType: string): Record<string, unknown> {
  const mediaType = contentType.split(";")[0]!.trim();
  const schema = mediaType.startsWith("text/") ? { type: "string" } : { type: "string", format: "binary" };
  return { [mediaType]: { schema } };
}

/** Answers the HTTP layer gives before any handler runs; every operation can meet them. */
function protocolErrors(errorResponse: (d: string) => unknown, hasBody: boolean): Record<string, unknown> {
  return {
    "405": errorResponse("Method not allowed for this path; `Allow` lists the methods"),
    "408": errorResponse("The request was not received in time (HTTP_REQUEST_TIMEOUT_MS)"),
    // An operation that takes no body meets them too when a client sends one anyway.
    "413": errorResponse(
      hasBody
        ? "Body larger than HTTP_BODY_LIMIT_BYTES"
        : "A body was sent, larger than HTTP_BODY_LIMIT_BYTES",
    ),
    "415": errorResponse(
      hasBody ? "Body is not application/json" : "A body was sent that is not application/json",
    ),
    "414": errorResponse("URL or a path parameter too long"),
    "429": errorResponse("Too many wrong API keys from this address; `Retry-After` says when to retry"),
    "431": errorResponse("Request headers too large"),
    "503": errorResponse(
      "SolusIO, a payment provider or the database could not be reached; `Retry-After` says when to retry. To a key below admin the message says how the call failed, never where the system is (docs/security.md)",
    ),
  };
}

/** What the document's description says of the routes it does not describe (openapi-other-routes.ts). */
function leftOutProse(): string {
  const routes = leftOutRoutes("PRICING_PATH (/solusio/api by default)").map(
    (r) => `- ${r.methods.join(", ")} ${r.url}${r.below ? " and below" : ""}: ${r.reason}`,
  );
  return `${HEAD_LEFT_OUT}.\n\nAlso answered, not described here:\n${routes.join("\n")}`;
}

export function buildOpenApi(routes: AnyRouteSpec[]): JsonSchema {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const status = String(route.status ?? 200);
    const dataSchema = route.response ? schemaOf(route.response, "output") : undefined;
    const success =
      status === "204"
        ? { description: "No content" }
        : route.raw
          ? { description: "Success", content: rawContent(route.raw.contentType) }
          : {
              description: "Success",
              content: {
                "application/json": {
                  schema: {
                    type: "object",
                    required: route.meta ? ["data", "meta"] : ["data"],
                    properties: {
                      data: dataSchema ?? {},
                      ...(route.paged ? { meta: route.paged === "cursor" ? CursorPageMeta : PageMeta } : {}),
                      ...(route.meta ? { meta: schemaOf(route.meta, "output") } : {}),
                    },
                  },
                },
              },
            };
    const errorResponse = (description: string) => ({
      description,
      content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
    });
    const operation: Record<string, unknown> = {
      tags: [route.tag],
      summary: route.summary,
      ...(route.description ? { description: route.description } : {}),
      operationId: `${route.method.toLowerCase()}${route.url.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ""))}`,
      parameters: [
        ...parametersOf(route.params, "path"),
        ...parametersOf(route.query, "query"),
        ...(route.idempotent ? [IdempotencyKeyParameter] : []),
      ],
      responses: {
        [status]: success,
        ...(route.repeatAnswers
          ? { "200": { ...success, description: route.repeatAnswers.description } }
          : {}),
        ...(route.acceptedAnswers
          ? { "202": { ...success, description: route.acceptedAnswers.description } }
          : {}),
        "400": errorResponse(
          "Invalid input (also unknown or repeated parameters, unknown or repeated body fields, a whole number written with a fraction or an exponent, control characters, over-long text or nesting deeper than 32 levels); `issues` names each field, at most 20 and then `(more)` with how many were not listed",
        ),
        "401": errorResponse("Missing or invalid API key"),
        "404": errorResponse(route.params ? "Not found" : "No such route"),
        ...(route.method !== "GET"
          ? {
              "409": errorResponse(
                route.idempotent
                  ? "Conflict with existing data; or the Idempotency-Key was used with a different request, or its first request is still being processed (`issues` names `header.idempotency-key`)"
                  : "Conflict with existing data",
              ),
            }
          : {}),
        ...protocolErrors(errorResponse, route.body !== undefined),
      },
    };
    if (route.body) {
      operation["requestBody"] = {
        // A body whose fields all have defaults may be left out (the route takes none as `{}`).
        required: !route.body.safeParse(undefined).success,
        content: { "application/json": { schema: schemaOf(route.body, "input") } },
      };
    }
    paths[route.url] ??= {};
    paths[route.url]![route.method.toLowerCase()] = operation;
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "tokenbill admin API",
      version: "1",
      description:
        "Billing for SolusIO (SolusVM 2). Authenticate with `Authorization: Bearer <admin API key>`. Exact decimals are strings.\n\n" +
        leftOutProse(),
    },
    servers: [{ url: "/" }],
    security: [{ bearer: [] }],
    paths: { ...paths, ...SERVICE_PATHS },
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
      schemas: { Error: ErrorEnvelope },
    },
  };
}
