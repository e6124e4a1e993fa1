import { setTimeout as sleep } from "node:timers/promises";
import { Agent, type Dispatcher, request } from "undici";
import type { z } from "zod";
import type { CallRecorder } from "./call-log.ts";
import { describeFieldErrors, SolusioError } from "./solusio-error.ts";
import { page } from "./schemas.ts";

export interface SolusioClientOptions {
  /** API base, e.g. https://solus.example.com/api/v1 */
  baseUrl: string;
  token: string;
  tlsInsecure?: boolean;
  timeoutMs?: number;
  /** Retries after the first attempt, for network errors and 5xx only. */
  maxRetries?: number;
  backoffBaseMs?: number;
  backoffCapMs?: number;
  recorder?: CallRecorder;
}

type Query = Record<string, string | number | undefined>;

/**
 * The typed SolusIO API client (solusio-api.md §1). Every answer is validated with zod before use; lists are
 * followed to their last page; network errors and 5xx are retried with capped exponential backoff and
 * jitter (never 4xx); every attempt is recorded with its duration and a masked body.
 */
export class SolusioClient {
  private readonly dispatcher: Dispatcher;
  private readonly base: string;

  constructor(private readonly options: SolusioClientOptions) {
    this.base = options.baseUrl.replace(/\/+$/, "");
    // Many installations use self-signed certificates: verification can be skipped, on request only.
    this.dispatcher = new Agent({
      connect: { rejectUnauthorized: !options.tlsInsecure },
      keepAliveTimeout: 10_000,
      connections: 32,
    });
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }

  async call<S extends z.ZodType>(
    method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE",
    path: string,
    opts: { query?: Query; body?: unknown; schema?: S } = {},
  ): Promise<z.output<S>> {
    const url = this.urlOf(path, opts.query);
    const maxRetries = this.options.maxRetries ?? 5;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.attempt(method, path, url, opts.body, opts.schema, attempt);
      } catch (error) {
        const retryable = error instanceof SolusioError && error.retryable;
        if (!retryable || attempt > maxRetries) throw error;
        await sleep(this.backoff(attempt));
      }
    }
  }

  /** GET a JSON document without a schema (for [OURS] endpoints whose shape is validated by the caller). */
  getJson(path: string, query?: Query): Promise<unknown> {
    return this.call("GET", path, { query });
  }

  /** Every item of a paginated list, page after page until meta.last_page. */
  async listAll<S extends z.ZodType>(path: string, item: S, query: Query = {}): Promise<z.output<S>[]> {
    const items: z.output<S>[] = [];
    const schema = page(item);
    for (let current = 1; ; current++) {
      const answer = await this.call("GET", path, { query: { ...query, page: current }, schema });
      items.push(...(answer.data as z.output<S>[]));
      // Without meta there is only one page (what the official WHMCS module assumes too).
      const last = answer.meta?.last_page ?? current;
      if (current >= last || answer.data.length === 0) return items;
    }
  }

  private urlOf(path: string, query?: Query): string {
    const url = `${this.base}/${path.replace(/^\/+/, "")}`;
    if (!query) return url;
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined) params.append(k, String(v));
    const qs = params.toString();
    return qs ? `${url}?${qs}` : url;
  }

  private backoff(attempt: number): number {
    const base = this.options.backoffBaseMs ?? 200;
    const cap = this.options.backoffCapMs ?? 5_000;
    const exp = Math.min(cap, base * 2 ** (attempt - 1));
    return exp / 2 + Math.random() * (exp / 2);
  }

  private async attempt<S extends z.ZodType>(
    method: string,
    path: string,
    url: string,
    body: unknown,
    schema: S | undefined,
    attempt: number,
  ): Promise<z.output<S>> {
    const started = performance.now();
    let status: number | null = null;
    let failure: string | null = null;
    try {
      const response = await request(url, {
        method: method as Dispatcher.HttpMethod,
        dispatcher: this.dispatcher,
        headers: {
          authorization: `Bearer ${this.options.token}`,
          accept: "application/json",
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        headersTimeout: this.options.timeoutMs ?? 10_000,
        bodyTimeout: this.options.timeoutMs ?? 10_000,
      });
      status = response.statusCode;
      const text = await response.body.text();
      const json = parseJson(text);
      if (status >= 400) throw errorFor(method, path, status, json, text);
      if (!schema) return json as z.output<S>;
      const parsed = schema.safeParse(json);
      if (!parsed.success) {
        throw new SolusioError(
          `${method} ${path}: unexpected answer from SolusIO (${parsed.error.issues
            .slice(0, 3)
            .map((i) => `${i.path.join(".")}: ${i.message}`)
            .join("; ")})`,
          status,
          false,
        );
      }
      return parsed.data;
    } catch (error) {
      const e =
        error instanceof SolusioError
          ? error
          : new SolusioError(`${method} ${path}: ${(error as Error).message || "network error"}`, null, true);
      failure = e.message;
      throw e;
    } finally {
      this.options.recorder?.({
        method,
        path,
        status,
        durationMs: performance.now() - started,
        attempt,
        requestBody: body,
        error: failure,
      });
    }
  }
}

function parseJson(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined; // a non-JSON body (an HTML error page from a proxy) is possible: callers cope
  }
}

function errorFor(method: string, path: string, status: number, json: unknown, text: string): SolusioError {
  const body = (json && typeof json === "object" ? json : {}) as { message?: unknown; errors?: unknown };
  const message = typeof body.message === "string" ? body.message : text.slice(0, 200) || `HTTP ${status}`;
  const fields: Record<string, string[]> = {};
  if (status === 422 && body.errors && typeof body.errors === "object") {
    for (const [field, messages] of Object.entries(body.errors as Record<string, unknown>)) {
      fields[field] = Array.isArray(messages) ? messages.map(String) : [String(messages)];
    }
  }
  const detail = Object.keys(fields).length ? ` (${describeFieldErrors(fields)})` : "";
  // 408 and 429 are worth retrying too: the same request can succeed later.
  const retryable = status >= 500 || status === 408 || status === 429;
  return new SolusioError(`${method} ${path}: ${status} ${message}${detail}`, status, retryable, fields);
}
