import type { FastifyInstance, FastifyRequest, onRequestHookHandler } from "fastify";
import { z } from "zod";
import type { ApiKeyRole } from "../services/api-keys/api-keys.ts";
import type { ServiceContext } from "../kernel/context.ts";
import { ServiceError, validationWording } from "../kernel/errors.ts";
import { IDEMPOTENCY_KEY_FIELD, IdempotentReplay } from "../kernel/idempotency.ts";
import { ProtocolError, zodToServiceError } from "./errors.ts";
import { readIdempotencyKey, sendReplay } from "./idempotency-header.ts";
import { clientGone, isStreamedAnswer, sendStreamed, stoppedForGoneClient } from "./streamed-answer.ts";
import { assertCleanText, isTextTooLong, MAX_BODY_TEXT, MAX_QUERY_TEXT } from "../kernel/clean-text.ts";

// A route is declared once, with zod schemas for its input and output. The same declaration validates
// requests and produces the OpenAPI document (openapi.ts), so the two cannot disagree.

export interface RouteSpec<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType> {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  url: string;
  tag: string;
  summary: string;
  /** Longer prose for the OpenAPI document: what the operation refuses, and why. */
  description?: string;
  params?: P;
  query?: Q;
  body?: B;
  /** Schema of `data` in the success envelope; omitted for 204. */
  response?: z.ZodType;
  /** The response is a page: `{ data: [...], meta }`; "cursor": a keyset list, whose meta has next_cursor. */
  paged?: boolean | "cursor";
  /** The answer carries `meta` of this schema beside `data` (a summary): the handler returns `{ data, meta }`. */
  meta?: z.ZodType;
  /**
   * The handler's string or Buffer is the whole body, of this type (a rendering), or a StreamedAnswer is sent
   * as it is read (streamed-answer.ts); errors keep the envelope.
   */
  raw?: {
    contentType: string;
    /** A download's file name (Content-Disposition: attachment), made when the answer is. */
    fileName?: (now: Date) => string;
  };
  status?: 200 | 201 | 204;
  /**
   * A GET whose work is elsewhere (calls to SolusIO): HEAD would do it all to send no body, so HEAD answers
   * 405 naming GET in Allow, as renderings and downloads do.
   */
  noHead?: true;
  /**
   * A GET that writes a row (a backup's audit row, the doctor's SolusIO call log): refused, as every other
   * method is, once a newer version has migrated the database (newer-schema-refusal.ts).
   */
  writes?: true;
  /**
   * The roles of admin API key the route is served to, when not its method's (access.ts, keyRolesByMethod):
   * refused in the access layer before the handler, besides its verb's own check.
   */
  keyRoles?: readonly ApiKeyRole[];
  /**
   * Takes an Idempotency-Key header (readIdempotencyKey): a money-moving POST without a natural key. Its verb
   * claims the key in its transaction; a replay is sent as it was first answered.
   */
  idempotent?: boolean;
  /**
   * A route whose natural key makes a repeat answer 200 with the row it found, and a new row 201 (recording a
   * payment: its method and reference). `of` splits the handler's result; `description` is the 200's in OpenAPI.
   */
  repeatAnswers?: { of(result: unknown): { created: boolean; data: unknown }; description: string };
  /**
   * A route whose work an outside system may leave unconfirmed (a refund Stripe did not answer): `of` splits
   * the handler's result, and an unconfirmed one is a 202 with the row as it stands; `description` is the
   * 202's in OpenAPI.
   */
  acceptedAnswers?: { of(result: unknown): { accepted: boolean; data: unknown }; description: string };
  handler(args: {
    ctx: ServiceContext;
    params: z.output<P>;
    query: z.output<Q>;
    body: z.output<B>;
    /** Aborted when the client goes away before its answer is whole (streamed-answer.ts). */
    clientGone: AbortSignal;
  }): Promise<unknown>;
}

export type AnyRouteSpec = RouteSpec<z.ZodType, z.ZodType, z.ZodType>;

export type ContextFactory = (request: FastifyRequest) => ServiceContext;

function parsePart<S extends z.ZodType>(schema: S | undefined, value: unknown, part: string): z.output<S> {
  if (!schema) return undefined as z.output<S>;
  if (part === "query") refuseRepeatedOrEmptyParameters(value, schema);
  // A JSON `null` body is a body, and refused as one: only a request without a body has none.
  const input = part === "body" ? value : (value ?? {});
  const refusal = (error: z.ZodError) => zodToServiceError(error, part === "body" ? undefined : part);
  try {
    assertCleanText(
      value,
      part === "body" ? undefined : part,
      part === "body" ? MAX_BODY_TEXT : MAX_QUERY_TEXT,
    );
  } catch (error) {
    // Over the cap every text has: a field whose own limit is lower says that one ("at most 200"), not the cap,
    // which read as though the field took 10,000 characters.
    if (isTextTooLong(error)) {
      const own = schema.safeParse(input);
      if (!own.success) throw refusal(own.error);
    }
    throw error;
  }
  const result = schema.safeParse(input);
  if (!result.success) throw refusal(result.error);
  return result.data;
}

/**
 * The admin API takes JSON bodies only, as its OpenAPI document says (415, "Body is not application/json").
 * The server parses forms too (the pages, GetTokenPricing) and Fastify plain text, so before this a form body
 * created a customer from its fields, and a text body was a 400 about the body's shape. A request without a
 * body (a DELETE whose client sends a content type anyway) is not refused: the JSON parser takes an empty
 * body as none (json-body-parser.ts).
 */
export const requireJsonBody: onRequestHookHandler = (request, _reply, done) => {
  const { "content-type": type, "content-length": length, "transfer-encoding": chunked } = request.headers;
  const hasBody = chunked !== undefined || (length !== undefined && length !== "0");
  const mediaType = (type ?? "").split(";", 1)[0]!.trim().toLowerCase();
  // A compressed body was read as its compressed bytes, and refused as "not UTF-8 text" (until 2026-12-06).
  const encoding = request.headers["content-encoding"]?.trim().toLowerCase();
  if (hasBody && encoding !== undefined && encoding !== "" && encoding !== "identity") {
    done(
      new ProtocolError(
        "UNSUPPORTED_MEDIA_TYPE",
        `Content-Encoding ${encoding.slice(0, 40)} is not taken: send the body uncompressed`,
      ),
    );
    return;
  }
  // JSON is UTF-8 (RFC 8259): a body said to be in another charset was read as UTF-8 all the same.
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(type ?? "")?.[1]?.toLowerCase();
  if (
    hasBody &&
    mediaType === "application/json" &&
    charset !== undefined &&
    charset !== "utf-8" &&
    charset !== "utf8"
  ) {
    done(
      new ProtocolError(
        "UNSUPPORTED_MEDIA_TYPE",
        `The body must be UTF-8 JSON (charset ${charset.slice(0, 40)} is not taken; send charset=utf-8 or none)`,
      ),
    );
    return;
  }
  if (!hasBody || mediaType === "application/json") {
    done();
    return;
  }
  done(new ProtocolError("UNSUPPORTED_MEDIA_TYPE", "The body must be JSON (Content-Type: application/json)"));
};

/**
 * A parameter given twice (`?per_page=5&per_page=6`) reaches the schema as an array, which no query parameter
 * takes (lists within one are comma-separated: `?tph=7,14`), and zod would answer "Invalid input".
 */
function refuseRepeatedOrEmptyParameters(query: unknown, schema: z.ZodType): void {
  if (query === null || typeof query !== "object") return;
  const repeated = Object.entries(query)
    .filter(([, value]) => Array.isArray(value))
    .map(([name]) => ({ field: `query.${name}`, message: "given more than once; give it once" }));
  if (repeated.length > 0) throw ServiceError.invalid(repeated);
  // `?number=` is no filter to some schemas (read as absent) and a 400 to others: refused alike, since a
  // client that sends an empty filter means something, and answering every row hides that it was not one.
  const empty = Object.entries(query)
    .filter(([, value]) => value === "")
    .map(([name]) => name);
  if (empty.length === 0) return;
  // A parameter whose own schema refuses "" for what it is, not for being short, says what it takes (`total=`:
  // "must be true or false"); "leave it out for no filter" told a client of `total=` or `per_page=` nothing of
  // what to send (until 2026-12-06). A text's own "must not be empty" says less than the words below.
  const own = schema.safeParse(query);
  const ownMessage = (name: string) =>
    own.success
      ? undefined
      : own.error.issues.find((i) => i.path.length === 1 && i.path[0] === name && i.code !== "too_small")
          ?.message;
  throw ServiceError.invalid(
    empty.map((name) => ({
      field: `query.${name}`,
      message: ownMessage(name) ?? "must not be empty; leave it out for no filter",
    })),
  );
}

/**
 * An Idempotency-Key sent to a write that does not take one (docs/payments.md lists those that do) is a 400
 * naming it: passed over, a client that counts on it retries into a second API key or billing run, and never
 * learns that its key was not one.
 */
function refuseIdempotencyKey(request: FastifyRequest): void {
  if (request.headers["idempotency-key"] === undefined) return;
  throw ServiceError.validation(
    IDEMPOTENCY_KEY_FIELD,
    "this operation does not take one (docs/payments.md, Idempotency-Key, lists those that do); send it without",
  );
}

/**
 * A query whose percent-encoding is not UTF-8 (`?search=%FF`, a lone `%`) is a 400, as the same bytes are in
 * the path and in a body: the query parser keeps such a sequence as its literal text, so `%FF` searched for
 * the three characters "%FF" (until 2026-12-06).
 */
function refuseBadQueryEncoding(url: string): void {
  const start = url.indexOf("?");
  if (start < 0 || !url.includes("%", start)) return;
  for (const part of url.slice(start + 1).split("&")) {
    try {
      decodeURIComponent(part);
    } catch {
      const name = part.split("=", 1)[0] ?? "";
      const field = /^[\w.-]{1,40}$/.test(name) ? `query.${name}` : "query";
      throw ServiceError.validation(field, "is not valid percent-encoding of UTF-8 text");
    }
  }
}

/** A query with no parameters: the route takes none, so any it is sent is a mistake worth naming. */
const NO_QUERY = z.strictObject({});
/** The body of a route that takes none: nothing, or an empty object (some clients send `{}` with every POST). */
const NO_BODY = z.strictObject({}).optional();

/**
 * A route's query as the route layer checks it: an unknown parameter is a 400 naming it, as an unknown body
 * field is. Passed over, `?limit=10` would answer the default 50 rows and `?from=…` a whole statement, and the
 * client would never learn that its filter was not one. Only here: verbs keep their schemas as they are, since
 * the console and the portal hand them objects of their own.
 */
function strictQuery(schema: z.ZodType | undefined): z.ZodType {
  if (schema === undefined) return NO_QUERY;
  if (schema instanceof z.ZodObject) return schema.strict();
  throw new Error("a route's query schema must be a zod object, so that its parameters can be named");
}

/**
 * A verb names the fields of its input bare (`tph`), as the CLI rewords them into its own options (`--tph`,
 * src/cli/option-names.ts); the API names a query parameter `query.tph`, as the schema's refusals here do. A
 * refusal the verb throws for one of the route's query parameters is named so too: `?tph=abc` was told `tph`
 * and `?currency=XYZ` `currency` (until 2026-12-06). Only for a route with no body, whose other inputs (path
 * parameters) are named otherwise, so a bare name can mean nothing but the query's.
 */
function inQueryTerms(error: unknown, spec: AnyRouteSpec): unknown {
  if (!(error instanceof ServiceError && error.issues.length > 0) || spec.body !== undefined) return error;
  if (!(spec.query instanceof z.ZodObject)) return error;
  const names = new Set(Object.keys(spec.query.shape));
  if (spec.params instanceof z.ZodObject)
    for (const name of Object.keys(spec.params.shape)) names.delete(name);
  if (!error.issues.some((issue) => names.has(issue.field))) return error;
  const issues = error.issues.map((issue) =>
    names.has(issue.field) ? { ...issue, field: `query.${issue.field}` } : issue,
  );
  // A message worded from its issues is worded again; one of its own is kept.
  const message =
    error.message === validationWording(error.issues) ? validationWording(issues) : error.message;
  return new ServiceError(error.code, message, issues);
}

/** The signal of a route whose work is not stopped when its client leaves: it never aborts. */
const NEVER_GONE = new AbortController().signal;

export function registerRoutes(
  app: FastifyInstance,
  routes: AnyRouteSpec[],
  contextOf: ContextFactory,
): void {
  for (const spec of routes) {
    const querySchema = strictQuery(spec.query);
    const bodySchema = spec.body ?? NO_BODY;
    app.route({
      method: spec.method,
      // OpenAPI writes path parameters as {id}; Fastify as :id.
      url: spec.url.replace(/\{(\w+)\}/g, ":$1"),
      // A HEAD runs the GET's handler and drops the body: for a rendering or a download (a whole backup, with
      // its audit row), or for the doctor's calls to SolusIO, that is all the work for nothing. Those answer
      // HEAD 405, naming GET in Allow.
      exposeHeadRoute: spec.raw === undefined && spec.noHead !== true,
      config: {
        ...(spec.writes ? { writes: true } : {}),
        ...(spec.keyRoles ? { keyRoles: spec.keyRoles } : {}),
      },
      onRequest: requireJsonBody,
      handler: async (request, reply) => {
        refuseBadQueryEncoding(request.raw.url ?? "");
        const params = parsePart(spec.params, request.params, "path");
        const query = parsePart(querySchema, request.query, "query");
        const body = parsePart(bodySchema, request.body, "body");
        const ctx = contextOf(request);
        if (spec.idempotent) ctx.idempotency = readIdempotencyKey(request, ctx, spec, params, body);
        else if (spec.method !== "GET") refuseIdempotencyKey(request);
        let result: unknown;
        // Only a download's work is worth stopping for a client gone; other answers take milliseconds.
        const gone = spec.raw ? clientGone(reply) : NEVER_GONE;
        try {
          result = await spec.handler({ ctx, params, query, body, clientGone: gone });
        } catch (error) {
          if (error instanceof IdempotentReplay) return sendReplay(reply, error.answer);
          if (stoppedForGoneClient(reply, gone, error)) return reply;
          throw inQueryTerms(error, spec);
        }
        if (spec.repeatAnswers) {
          const { created, data } = spec.repeatAnswers.of(result);
          reply.header("cache-control", "no-store");
          reply.status(created ? 201 : 200);
          return { data };
        }
        if (spec.acceptedAnswers) {
          const { accepted, data } = spec.acceptedAnswers.of(result);
          reply.header("cache-control", "no-store");
          reply.status(accepted ? 202 : (spec.status ?? 200));
          return { data };
        }
        const status = spec.status ?? 200;
        // Admin answers hold customer data and, once, new API keys: no cache may keep them.
        reply.header("cache-control", "no-store");
        if (status === 204) return reply.status(204).send();
        if (spec.raw?.fileName)
          reply.header("content-disposition", `attachment; filename="${spec.raw.fileName(new Date())}"`);
        if (spec.raw) {
          reply.status(status).type(spec.raw.contentType);
          return isStreamedAnswer(result) ? sendStreamed(reply, result) : reply.send(result);
        }
        reply.status(status);
        return spec.paged || spec.meta ? result : { data: result };
      },
    });
  }
}

export function defineRoute<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType>(
  spec: RouteSpec<P, Q, B>,
): AnyRouteSpec {
  return spec as unknown as AnyRouteSpec;
}
