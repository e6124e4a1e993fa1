import type { IncomingMessage, ServerResponse } from "node:http";
import { EmulatorError } from "../errors.ts";
import type { RouteResult } from "./route.ts";

export const MAX_BODY_BYTES = 1024 * 1024;

/** Reads a JSON body (any content type: Guzzle and Go both send JSON); empty means {}. */
export async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_BODY_BYTES)
      throw new EmulatorError("PAYLOAD_TOO_LARGE", `The request body exceeds ${MAX_BODY_BYTES} bytes.`);
    chunks.push(buf);
  }
  const text = Buffer.concat(chunks).toString("utf8").trim();
  if (text === "") return {};
  const type = String(req.headers["content-type"] ?? "");
  // `curl -d '{...}'` labels JSON as a form: a body that looks like JSON is read as JSON whatever the label.
  const looksJson = text.startsWith("{") || text.startsWith("[");
  if (type.includes("application/x-www-form-urlencoded") && !looksJson)
    return Object.fromEntries(new URLSearchParams(text));
  try {
    return JSON.parse(text);
  } catch {
    throw new EmulatorError("BAD_REQUEST", "The request body is not valid JSON.");
  }
}

export function parseCookies(header: string | undefined): Record<string, string> {
  const cookies: Record<string, string> = {};
  for (const part of (header ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    try {
      cookies[name] = decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      // A cookie we cannot decode is not one of ours.
    }
  }
  return cookies;
}

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

export function send(res: ServerResponse, result: RouteResult): void {
  const headers: Record<string, string | string[]> = { ...(result.headers ?? {}) };
  let body: string | undefined;
  if (result.html !== undefined) {
    body = result.html;
    headers["content-type"] ??= "text/html; charset=utf-8";
  } else if (result.json !== undefined && result.status !== 204) {
    body = JSON.stringify(result.json);
    headers["content-type"] ??= "application/json";
  }
  if (body !== undefined) headers["content-length"] = String(Buffer.byteLength(body));
  res.writeHead(result.status, headers);
  res.end(result.status === 204 ? undefined : body);
}

export function injectedErrorResult(status: number, body: "json" | "html"): RouteResult {
  if (body === "html") {
    return {
      status,
      html: `<html><head><title>${status}</title></head><body><center><h1>${status}</h1></center><hr><center>nginx</center></body></html>`,
    };
  }
  return { status, json: { message: `Injected fault: HTTP ${status}.` } };
}
