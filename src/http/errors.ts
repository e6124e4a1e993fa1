import { STATUS_CODES } from "node:http";
import type { Socket } from "node:net";
import type { FastifyBaseLogger, FastifyError, FastifyReply, FastifyRequest } from "fastify";
import { ZodError } from "zod";
import { zodToServiceError } from "../kernel/verb.ts";
import { jsonText } from "../kernel/json.ts";
import { asServiceError, ERROR_CODES, type ErrorCode, type FieldIssue } from "../kernel/errors.ts";
import { type UpstreamReader, upstreamWords } from "../services/setup/upstream-words.ts";

export { zodToServiceError };

// One envelope for every error tokenbill answers over HTTP, whoever produced it (a verb, validation, the
// router, the body parser, the socket layer): { error: { code, message, requestId, issues? } }.

/** Codes only the HTTP layer produces: the protocol's own refusals, before any verb runs. */
export const PROTOCOL_ERROR_CODES = [
  "METHOD_NOT_ALLOWED",
  "REQUEST_TIMEOUT",
  "PAYLOAD_TOO_LARGE",
  "URI_TOO_LONG",
  "UNSUPPORTED_MEDIA_TYPE",
  "RATE_LIMITED",
  "HEADERS_TOO_LARGE",
  // A write refused by an instance older than its database (newer-schema-refusal.ts).
  "NEWER_SCHEMA",
] as const;
export type ProtocolErrorCode = (typeof PROTOCOL_ERROR_CODES)[number];
export type AnswerCode = ErrorCode | ProtocolErrorCode;
export const ANSWER_CODES: readonly AnswerCode[] = [...ERROR_CODES, ...PROTOCOL_ERROR_CODES];

const STATUS: Record<AnswerCode, number> = {
  VALIDATION: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  REQUEST_TIMEOUT: 408,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  URI_TOO_LONG: 414,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  HEADERS_TOO_LARGE: 431,
  INTERNAL: 500,
  UPSTREAM_UNAVAILABLE: 503,
  NEWER_SCHEMA: 503,
};

export function statusOf(code: AnswerCode): number {
  return STATUS[code];
}

/** An error the HTTP layer answers with a protocol status (413, 429, …) rather than a service code. */
export class ProtocolError extends Error {
  constructor(
    readonly code: ProtocolErrorCode,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "ProtocolError";
  }
}

interface Answer {
  code: AnswerCode;
  message: string;
  issues: FieldIssue[];
  headers: Record<string, string>;
}

/** Fastify's own 4xx errors (bad JSON, media type, body size, URL length) in our vocabulary. */
function fromFastifyError(error: FastifyError): Answer | undefined {
  const status = error.statusCode ?? 0;
  if (status < 400 || status >= 500) return undefined;
  const byStatus: Record<number, AnswerCode> = {
    401: "UNAUTHORIZED",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    408: "REQUEST_TIMEOUT",
    413: "PAYLOAD_TOO_LARGE",
    414: "URI_TOO_LONG",
    415: "UNSUPPORTED_MEDIA_TYPE",
    429: "RATE_LIMITED",
    431: "HEADERS_TOO_LARGE",
  };
  return { code: byStatus[status] ?? "VALIDATION", message: error.message, issues: [], headers: {} };
}

/**
 * Headers an error answer carries because of its code: a 503 (SolusIO, a payment provider or the database
 * could not be reached; a write this instance, older than its database, refuses) says when to try again, so a
 * client or a load balancer backs off instead of hammering.
 */
export function headersOfCode(code: AnswerCode): Record<string, string> {
  return code === "UPSTREAM_UNAVAILABLE" || code === "NEWER_SCHEMA" ? RETRY_LATER : NO_HEADERS;
}
const RETRY_LATER: Record<string, string> = Object.freeze({ "retry-after": "5" });
const NO_HEADERS: Record<string, string> = Object.freeze({});

/**
 * headersOfCode for an answer kept as its status and body (an Idempotency-Key's): a replayed 503 says when to
 * try again as the first answer did. Only 503 carries headers (UPSTREAM_UNAVAILABLE; NEWER_SCHEMA is refused
 * before any verb, so it is never kept).
 */
export function headersOfStatus(status: number): Record<string, string> {
  return status === STATUS.UPSTREAM_UNAVAILABLE ? RETRY_LATER : NO_HEADERS;
}

declare module "fastify" {
  interface FastifyRequest {
    /** The failure this request answers with is logged already: the 5xx hook (server.ts) adds no line. */
    failureLogged?: boolean;
  }
}

/**
 * The client is told who could not be reached; the operator is told why, with the cause's own words (for the
 * database, node-postgres's: "connect ECONNREFUSED 10.0.0.5:5432"). One line without a stack: during an outage
 * every request fails the same way.
 */
export function logUpstreamFailure(
  log: Pick<FastifyBaseLogger, "warn">,
  error: unknown,
  requestId: string,
): void {
  const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : "";
  const reason = `${asServiceError(error)?.message ?? String(error)}${cause}`;
  log.warn({ requestId, reason }, "upstream unavailable");
}

/**
 * Who reads a request's error answer, as upstreamWords takes it: an API key's role; TOKENBILL_ADMIN_API_KEY
 * holds full authority (seesWhereSystemsAre); a console session's staff role; undefined when no credential was
 * read (a public route, or the database out of reach while a stored key was being checked).
 */
export function answerReaderOf(request: FastifyRequest): UpstreamReader {
  const actor = request.actor;
  if (actor?.kind === "admin_key") return actor.role;
  if (actor?.kind === "env_key") return "admin";
  return request.webSession?.staffRole ?? undefined;
}

function answerOf(error: unknown, reader: UpstreamReader): Answer | undefined {
  if (error instanceof ProtocolError)
    return { code: error.code, message: error.message, issues: [], headers: error.headers };
  const known = asServiceError(error) ?? (error instanceof ZodError ? zodToServiceError(error) : undefined);
  if (known && known.code !== "INTERNAL")
    return {
      code: known.code,
      // An outside system's failure can name where it is: below admin only how the call failed, as the
      // console's error page says it (until 2026-12-07 a billing key read "connect ECONNREFUSED host:port").
      message:
        known.code === "UPSTREAM_UNAVAILABLE" ? upstreamWords(reader, error, known, "api") : known.message,
      issues: known.issues,
      headers: headersOfCode(known.code),
    };
  if (known) return undefined;
  return fromFastifyError(error as FastifyError);
}

export function errorBody(code: AnswerCode, message: string, requestId: string, issues: FieldIssue[] = []) {
  return { error: { code, message, requestId, ...(issues.length > 0 ? { issues } : {}) } };
}

const INTERNAL_ANSWER: Answer = {
  code: "INTERNAL",
  message: "internal error; the request id identifies it in the logs",
  issues: [],
  headers: {},
};

/**
 * The status and exact body `sendError` answers `error` with for `reader`, for an answer kept under an
 * Idempotency-Key (src/kernel/idempotency.ts) and sent again as it is, to whoever sends the key again in its
 * scope: so `reader` must be the lowest role that scope can have then (see each caller). Logging stays with
 * `sendError`, which sends it first.
 */
export function errorAnswerText(
  error: unknown,
  requestId: string,
  reader: UpstreamReader,
): { status: number; body: string } {
  const answer = answerOf(error, reader) ?? INTERNAL_ANSWER;
  return {
    status: statusOf(answer.code),
    body: jsonText(errorBody(answer.code, answer.message, requestId, answer.issues)),
  };
}

export function sendError(reply: FastifyReply, request: FastifyRequest, error: unknown): FastifyReply {
  let answer = answerOf(error, answerReaderOf(request));
  if (answer?.code === "UPSTREAM_UNAVAILABLE") logUpstreamFailure(request.log, error, request.id);
  if (!answer) {
    request.log.error({ err: error, requestId: request.id }, "unhandled error");
    answer = INTERNAL_ANSWER;
  }
  return reply
    .status(statusOf(answer.code))
    .headers(answer.headers)
    .type("application/json; charset=utf-8")
    .send(errorBody(answer.code, answer.message, request.id, answer.issues));
}

/**
 * Errors Node's HTTP parser raises before any request exists (headers too large, a request that took too
 * long, garbage on the wire): answered on the socket in the same envelope, then the connection closes.
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  if (!socket.writable || error.code === "ECONNRESET") {
    socket.destroy();
    return;
  }
  const code: AnswerCode =
    error.code === "HPE_HEADER_OVERFLOW"
      ? "HEADERS_TOO_LARGE"
      : error.code === "ERR_HTTP_REQUEST_TIMEOUT" || error.code === "ERR_HTTP_HEADERS_TIMEOUT"
        ? "REQUEST_TIMEOUT"
        : error.code === "HPE_URI_TOO_LONG"
          ? "URI_TOO_LONG"
          : "VALIDATION";
  const message =
    code === "HEADERS_TOO_LARGE"
      ? "request headers are too large"
      : code === "REQUEST_TIMEOUT"
        ? "the request was not received in time"
        : code === "URI_TOO_LONG"
          ? "the request URL is too long"
          : "malformed HTTP request";
  const body = JSON.stringify(errorBody(code, message, "none"));
  const status = statusOf(code);
  // An answer to HEAD has no body, even an error (the client would read it as the next answer).
  const head = (error as { rawPacket?: Buffer }).rawPacket?.subarray(0, 5).toString() === "HEAD ";
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${head ? "" : body}`,
  );
}
