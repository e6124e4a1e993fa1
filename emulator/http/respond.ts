import type { Socket } from "node:net";
import type { FastifyReply } from "fastify";
import type { EmulatorError } from "../errors.ts";
import type { RouteResult } from "./route.ts";

// Writing answers. `respond` is the one place a reply is sent (routes, 404/405, errors, faults), so every
// answer carries a Date header from the emulator's clock: a client that reads server time (cache ages,
// token expiry) must see the same "now" as the data it gets.

export const MAX_BODY_BYTES = 1024 * 1024;

const STATUS_OF: Record<EmulatorError["code"], number> = {
  VALIDATION: 422,
  NOT_FOUND: 404,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  BAD_REQUEST: 400,
  PAYLOAD_TOO_LARGE: 413,
  METHOD_NOT_ALLOWED: 405,
};

export function errorResult(error: EmulatorError): RouteResult {
  const status = STATUS_OF[error.code];
  const body: Record<string, unknown> = { message: error.message };
  if (error.fields) body["errors"] = error.fields;
  return { status, json: body };
}

export function messageResult(status: number, message: string): RouteResult {
  return { status, json: { message } };
}

export function injectedErrorResult(status: number, body: "json" | "html", retryAfter?: string): RouteResult {
  const headers = retryAfter === undefined ? {} : { headers: { "retry-after": retryAfter } };
  if (body === "html") {
    return {
      status,
      html: `<html><head><title>${status}</title></head><body><center><h1>${status}</h1></center><hr><center>nginx</center></body></html>`,
      ...headers,
    };
  }
  return { ...messageResult(status, `Injected fault: HTTP ${status}.`), ...headers };
}

// The header only changes once a second; like Node's own Date, the text is kept for the second it names.
let datedSecond = Number.NaN;
let dateText = "";

/** RFC 7231 IMF-fixdate, e.g. "Sat, 31 Oct 2026 22:30:00 GMT". */
export function httpDate(at: Date): string {
  const second = Math.floor(at.getTime() / 1000);
  if (second !== datedSecond) {
    datedSecond = second;
    dateText = at.toUTCString();
  }
  return dateText;
}

export function respond(reply: FastifyReply, result: RouteResult, now: Date): FastifyReply {
  const headers = result.headers;
  reply.code(result.status);
  if (headers) reply.headers(headers);
  // Set explicitly, so Node's own Date (res.sendDate, the system clock) is left out.
  reply.header("date", httpDate(now));
  if (result.status === 204) return reply.send();
  if (result.html !== undefined) {
    if (headers?.["content-type"] === undefined) reply.header("content-type", "text/html; charset=utf-8");
    return reply.send(result.html);
  }
  if (result.json !== undefined) {
    if (headers?.["content-type"] === undefined) reply.header("content-type", "application/json");
    return reply.send(JSON.stringify(result.json));
  }
  return reply.send();
}

/** Requests Node cannot parse never reach Fastify: answered on the socket, still with our Date. */
export function answerClientError(socket: Socket, code: string | undefined, now: Date): void {
  if (code === "ECONNRESET" || socket.destroyed) return;
  const [status, reason, message] =
    code === "ERR_HTTP_REQUEST_TIMEOUT"
      ? [408, "Request Timeout", "The request took too long."]
      : code === "HPE_HEADER_OVERFLOW"
        ? [431, "Request Header Fields Too Large", "The request headers are too large."]
        : [400, "Bad Request", "The request is not valid HTTP."];
  const body = JSON.stringify({ message });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${reason}\r\nDate: ${httpDate(now)}\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}
