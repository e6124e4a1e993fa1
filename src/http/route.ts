import type { FastifyInstance, FastifyRequest, onRequestHookHandler } from "fastify";
import type { z } from "zod";
import type { ServiceContext } from "../kernel/context.ts";
import { ProtocolError, zodToServiceError } from "./errors.ts";
import { assertCleanText, MAX_BODY_TEXT, MAX_QUERY_TEXT } from "../kernel/clean-text.ts";

// A route is declared once, with zod schemas for its input and output. The same declaration validates
// requests and produces the OpenAPI document (openapi.ts), so the two cannot disagree.

export interface RouteSpec<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType> {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  url: string;
  tag: string;
  summary: string;
  params?: P;
  query?: Q;
  body?: B;
  /** Schema of `data` in the success envelope; omitted for 204. */
  response?: z.ZodType;
  /** The response is a page: `{ data: [...], meta }`. */
  paged?: boolean;
  /** The handler's string or Buffer is the whole body, of this type (a rendering); errors keep the envelope. */
  raw?: { contentType: string };
  status?: 200 | 201 | 204;
  handler(args: {
    ctx: ServiceContext;
    params: z.output<P>;
    query: z.output<Q>;
    body: z.output<B>;
  }): Promise<unknown>;
}

export type AnyRouteSpec = RouteSpec<z.ZodType, z.ZodType, z.ZodType>;

export type ContextFactory = (request: FastifyRequest) => ServiceContext;

function parsePart<S extends z.ZodType>(schema: S | undefined, value: unknown, part: string): z.output<S> {
  if (!schema) return undefined as z.output<S>;
  assertCleanText(
    value,
    part === "body" ? undefined : part,
    part === "body" ? MAX_BODY_TEXT : MAX_QUERY_TEXT,
  );
  const result = schema.safeParse(value ?? (part === "body" ? undefined : {}));
  if (!result.success) throw zodToServiceError(result.error, part === "body" ? undefined : part);
  return result.data;
}

/**
 * The admin API takes JSON bodies only, as its OpenAPI document says (415, "Body is not application/json").
 * The server parses forms too (the pages, GetTokenPricing) and Fastify plain text, so before this a form body
 * created a customer from its fields, and a text body was a 400 about the body's shape. A request without a
 * body (a DELETE whose client sends a content type anyway) is not refused.
 */
export const requireJsonBody: onRequestHookHandler = (request, _reply, done) => {
  const { "content-type": type, "content-length": length, "transfer-encoding": chunked } = request.headers;
  const hasBody = chunked !== undefined || (length !== undefined && length !== "0");
  const mediaType = (type ?? "").split(";", 1)[0]!.trim().toLowerCase();
  if (!hasBody || mediaType === "application/json") {
    done();
    return;
  }
  done(new ProtocolError("UNSUPPORTED_MEDIA_TYPE", "The body must be JSON (Content-Type: application/json)"));
};

export function registerRoutes(
  app: FastifyInstance,
  routes: AnyRouteSpec[],
  contextOf: ContextFactory,
): void {
  for (const spec of routes) {
    app.route({
      method: spec.method,
      // OpenAPI writes path parameters as {id}; Fastify as :id.
      url: spec.url.replace(/\{(\w+)\}/g, ":$1"),
      onRequest: requireJsonBody,
      handler: async (request, reply) => {
        const params = parsePart(spec.params, request.params, "path");
        const query = parsePart(spec.query, request.query, "query");
        const body = parsePart(spec.body, request.body, "body");
        const result = await spec.handler({ ctx: contextOf(request), params, query, body });
        const status = spec.status ?? 200;
        // Admin answers hold customer data and, once, new API keys: no cache may keep them.
        reply.header("cache-control", "no-store");
        if (status === 204) return reply.status(204).send();
        if (spec.raw) return reply.status(status).type(spec.raw.contentType).send(result);
        reply.status(status);
        return spec.paged ? result : { data: result };
      },
    });
  }
}

export function defineRoute<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType>(
  spec: RouteSpec<P, Q, B>,
): AnyRouteSpec {
  return spec as unknown as AnyRouteSpec;
}
