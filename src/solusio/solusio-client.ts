import { setTimeout as sleep } from "node:timers/promises";
import { Agent, type Dispatcher, request } from "undici";
import { z } from "zod";
import type { CallRecorder } from "./call-log.ts";
import { parseJsonExact } from "./exact-json.ts";
import { hasNextPage } from "./follow-pages.ts";
import { type PageAnswer, type PagesRead, readPagesAtOnce } from "./read-pages-at-once.ts";
import { describeFieldErrors, noAnswerOf, SolusioError } from "./solusio-error.ts";
import { page } from "./schemas.ts";
import { retryAfterMs } from "../kernel/retry-after.ts";

export interface SolusioClientOptions {
  /** API base, e.g. https://solus.example.com/api/v1 */
  baseUrl: string;
  token: string;
  tlsInsecure?: boolean;
  /** The longest one attempt may take, its answer's headers and body together (SOLUSIO_TIMEOUT_MS). */
  timeoutMs?: number;
  /** Retries after the first attempt, for network errors, timeouts, 5xx, 408 and 429 (never other 4xx). */
  maxRetries?: number;
  /**
   * An end for every call of this client together (epoch ms): each attempt gets what is left of it, at most
   * `timeoutMs`, and none starts after it. For calls a page waits on (withOptions).
   */
  deadlineAt?: number;
  backoffBaseMs?: number;
  backoffCapMs?: number;
  recorder?: CallRecorder;
  /** The largest answer read, in bytes (MAX_ANSWER_BYTES unless set). */
  maxAnswerBytes?: number;
  /**
   * Ends every call of this client at once when aborted (the process is stopping): the attempt in flight is
   * cancelled and none follows. For the calls of work that stops with the process (a billing run).
   */
  signal?: AbortSignal;
  /**
   * Told of each answer whose SolusIO time was asked for (`answeredAt`) that carries no readable Date header
   * ("GET servers"): its caller then stamps with tokenbill's clock. Kept by the clients withOptions makes.
   */
  answeredWithoutDate?: (call: string) => void;
}

/**
 * The largest answer the client reads: 64 MiB. An answer is held whole to be parsed, so without a bound a
 * SolusIO (or whatever answers at its address) that sends without end fills the process's memory. A page
 * of SolusIO's lists is kilobytes to a few megabytes: the usage endpoint's pages of thousands of servers
 * are about 0.6 KB a server.
 */
export const MAX_ANSWER_BYTES = 64 * 1024 * 1024;

type Query = Record<string, string | number | undefined>;

/** An item of a list that did not match its schema (`listEach`). */
export interface UnreadableItem {
  /** Its `id` when that at least is a whole number, else null. */
  id: number | null;
  /** The item as SolusIO sent it: only for matching against what is looked for, never shown. */
  raw: unknown;
  /** Which fields did not match, and how. */
  problem: string;
}

export interface CheckedList<S extends z.ZodType> {
  items: z.output<S>[];
  unreadable: UnreadableItem[];
}

/** A list item before it is checked: listEach checks each one on its own. */
const ANY_ITEM = z.unknown();

function idOf(raw: unknown): number | null {
  const id = typeof raw === "object" && raw !== null ? (raw as { id?: unknown }).id : undefined;
  return Number.isSafeInteger(id) ? (id as number) : null;
}

/** The first three of zod's issues as "path: message". zod's messages name what was expected, not the value. */
function describeIssues(issues: readonly z.core.$ZodIssue[], whole: string): string {
  return issues
    .slice(0, 3)
    .map((i) => `${i.path.join(".") || whole}: ${i.message}`)
    .join("; ");
}

export interface CallOptions<S extends z.ZodType> {
  query?: Query;
  body?: unknown;
  schema?: S;
  /**
   * For a create that must not be repeated blindly: after an attempt that may have been carried out (a 5xx,
   * a dropped connection, a timeout), this runs before the next attempt and before a 422 is given up on.
   * It answers what the earlier attempt created when it finds it and it is ours, else undefined (then the
   * request is repeated, or the 422 thrown).
   */
  findIfDone?: () => Promise<z.output<S> | undefined>;
  /** Called with SolusIO's own time of a successful answer (its Date header), when it sends one. */
  answeredAt?: (date: Date) => void;
  /** Retries of this call, instead of the client's `maxRetries` (0: one attempt only). */
  retries?: number;
  /** Integers beyond 2^53 in the answer arrive as decimal strings, exact (exact-json.ts). */
  exactIntegers?: boolean;
}

/** Options of a list read (listAll, listEach). */
export interface ListOptions {
  /** Retries of each page's call, instead of the client's `maxRetries`. */
  retries?: number;
  /** Called with SolusIO's own time of the first page's answer (its Date header), when it sends one. */
  answeredAt?: (date: Date) => void;
  /** Pages asked for at a time after the first (read-pages-at-once.ts); one at a time unless set. */
  atOnce?: number;
  /** Told after each page how many are read, of how many SolusIO says there are. */
  progress?: (p: PagesRead) => void;
}

/**
 * The typed SolusIO API client (solusio-api.md §1). Every answer is validated with zod before use; lists are
 * followed to their last page; network errors, timeouts, 5xx, 408 and 429 are retried with capped
 * exponential backoff and jitter, never sooner than a Retry-After asks (never other 4xx); every attempt is
 * bounded by `timeoutMs` as a whole and recorded with its duration and a masked body.
 */
/** How long closing waits for SolusIO calls in flight (SolusioClient.close). */
const CLOSE_GRACE_MS = 1_000;
/** Dispatchers being closed: a call on one is not tried again (the process is stopping). */
const closedDispatchers = new WeakSet<Dispatcher>();
/**
 * Ends the calls still in flight on a dispatcher once its close's grace is over. undici's own destroy() does
 * not end them after close() has begun (undici 7: they wait for their timeout), so each attempt listens to
 * this signal too.
 */
const cutOnClose = new WeakMap<Dispatcher, AbortController>();

export class SolusioClient {
  private readonly dispatcher: Dispatcher;
  private readonly base: string;
  /** False for a client made by `withOptions`: the connections are its parent's to close. */
  private readonly ownsDispatcher: boolean;

  constructor(
    private readonly options: SolusioClientOptions,
    shared?: Dispatcher,
  ) {
    this.base = options.baseUrl.replace(/\/+$/, "");
    this.ownsDispatcher = shared === undefined;
    // Many installations use self-signed certificates: verification can be skipped, on request only.
    this.dispatcher =
      shared ??
      new Agent({
        connect: { rejectUnauthorized: !options.tlsInsecure },
        keepAliveTimeout: 10_000,
        connections: 32,
      });
    if (this.ownsDispatcher) cutOnClose.set(this.dispatcher, new AbortController());
  }

  /**
   * The same SolusIO over the same connections (and call log) with other retries or timeout: for calls a
   * person waits for (a page), which must answer in seconds rather than wait out the retry budget.
   */
  withOptions(
    overrides: Pick<SolusioClientOptions, "timeoutMs" | "maxRetries" | "deadlineAt" | "signal">,
  ): SolusioClient {
    return new SolusioClient({ ...this.options, ...overrides }, this.dispatcher);
  }

  /**
   * Closes the connections, waiting at most `graceMs` for calls in flight: undici's close waits for each to
   * be answered, which a slow SolusIO made outlast serve's 10 s to stop. The calls still waiting then are
   * ended (a network error, recorded like any failed attempt).
   */
  async close(graceMs = CLOSE_GRACE_MS): Promise<void> {
    if (!this.ownsDispatcher) return;
    closedDispatchers.add(this.dispatcher);
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), graceMs);
    });
    const closing = this.dispatcher.close();
    const closed = await Promise.race([closing.then(() => true), graceOver]);
    clearTimeout(timer);
    if (closed) return;
    cutOnClose.get(this.dispatcher)?.abort();
    await closing;
  }

  async call<S extends z.ZodType>(
    method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE",
    path: string,
    opts: CallOptions<S> = {},
  ): Promise<z.output<S>> {
    const url = this.urlOf(path, opts.query);
    const maxRetries = opts.retries ?? this.options.maxRetries ?? 5;
    const { findIfDone } = opts;
    // Set once an attempt failed in a way that leaves its fate unknown (solusio-api.md §1: a write that timed
    // out or got a 5xx may have been done). It stays set: a later clear refusal does not undo an earlier
    // attempt that SolusIO may have carried out.
    let mayBeDone = false;
    for (let attempt = 1; ; attempt++) {
      let failure: unknown;
      try {
        if (mayBeDone && findIfDone) {
          const found = await findIfDone();
          if (found !== undefined) return found;
        }
      } catch (lookupError) {
        failure = lookupError; // the write's fate is still unknown: look again before the next attempt
      }
      if (failure === undefined) {
        try {
          return await this.attempt(method, path, url, opts, attempt);
        } catch (error) {
          failure = error;
          // "Taken" after an attempt that may have been done: our own earlier write, when the lookup finds
          // it and says it is ours.
          if (mayBeDone && findIfDone && error instanceof SolusioError && error.status === 422) {
            const found = await findIfDone();
            if (found !== undefined) return found;
          }
          if (mayHaveBeenDone(method, error)) mayBeDone = true;
        }
      }
      if (failure instanceof SolusioError && mayBeDone) failure.mayHaveBeenDone = true;
      const retryable = failure instanceof SolusioError && failure.retryable;
      if (!retryable || attempt > maxRetries || closedDispatchers.has(this.dispatcher)) throw failure;
      // SolusIO said when to ask again (429, 503): never sooner. A wait longer than the client would wait
      // between two attempts of its own ends the call; the error carries the wait (retryAfterMs) for the
      // caller to schedule the next try (a sync job is deferred by that long).
      const asked = (failure as SolusioError).retryAfterMs ?? 0;
      if (asked > this.backoffCap()) throw failure;
      await sleep(Math.max(asked, this.backoff(attempt)), undefined, { signal: this.options.signal }).catch(
        () => {
          throw this.stopped(method, path);
        },
      );
    }
  }

  /**
   * GET a JSON document without a schema (for [OURS] endpoints whose shape is validated by the caller), big
   * integers as exact decimal strings: the callers' count schemas take them as bigints.
   */
  getJson(path: string, query?: Query, answeredAt?: (date: Date) => void): Promise<unknown> {
    return this.call("GET", path, { query, exactIntegers: true, ...(answeredAt ? { answeredAt } : {}) });
  }

  /** Every item of a paginated list, page after page until meta.last_page (hasNextPage). */
  async listAll<S extends z.ZodType>(
    path: string,
    item: S,
    query: Query = {},
    options: ListOptions = {},
  ): Promise<z.output<S>[]> {
    const schema = page(item);
    const readPage = (current: number) =>
      this.call("GET", path, {
        query: { ...query, page: current },
        schema,
        ...(options.retries !== undefined ? { retries: options.retries } : {}),
        ...(options.answeredAt && current === 1 ? { answeredAt: options.answeredAt } : {}),
      }) as Promise<PageAnswer<z.output<S>>>;
    if ((options.atOnce ?? 1) > 1 || options.progress)
      return readPagesAtOnce(path, options.atOnce ?? 1, readPage, options.progress);
    const items: z.output<S>[] = [];
    for (let current = 1; ; current++) {
      const answer = await readPage(current);
      items.push(...answer.data);
      if (!hasNextPage(path, current, answer.data.length, answer.meta)) return items;
    }
  }

  /**
   * Every item of a paginated list, each checked against `item` on its own: one that does not match is set
   * apart in `unreadable` with why, instead of failing the whole list. For lists where one odd record
   * (a user a newer SolusIO or another module wrote) must not stop the work on all the others.
   */
  async listEach<S extends z.ZodType>(
    path: string,
    item: S,
    query: Query = {},
    options: ListOptions = {},
  ): Promise<CheckedList<S>> {
    const items: z.output<S>[] = [];
    const unreadable: UnreadableItem[] = [];
    for (const raw of await this.listAll(path, ANY_ITEM, query, options)) {
      const parsed = item.safeParse(raw);
      if (parsed.success) items.push(parsed.data as z.output<S>);
      else unreadable.push({ id: idOf(raw), raw, problem: describeIssues(parsed.error.issues, "item") });
    }
    return { items, unreadable };
  }

  private urlOf(path: string, query?: Query): string {
    const url = `${this.base}/${path.replace(/^\/+/, "")}`;
    if (!query) return url;
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined) params.append(k, String(v));
    const qs = params.toString();
    return qs ? `${url}?${qs}` : url;
  }

  /** The call was cancelled by the client's signal: never retried, whatever it had failed with before. */
  private stopped(method: string, path: string): SolusioError {
    return new SolusioError(`${method} ${path}: cancelled, the process is stopping`, null, false);
  }

  private backoffCap(): number {
    return this.options.backoffCapMs ?? 5_000;
  }

  private backoff(attempt: number): number {
    const base = this.options.backoffBaseMs ?? 200;
    const exp = Math.min(this.backoffCap(), base * 2 ** (attempt - 1));
    return exp / 2 + Math.random() * (exp / 2);
  }

  private async attempt<S extends z.ZodType>(
    method: string,
    path: string,
    url: string,
    opts: CallOptions<S>,
    attempt: number,
  ): Promise<z.output<S>> {
    const { body, schema } = opts;
    const started = performance.now();
    const { deadlineAt } = this.options;
    const timeoutMs = Math.max(
      0,
      Math.min(
        this.options.timeoutMs ?? 10_000,
        deadlineAt === undefined ? Infinity : deadlineAt - Date.now(),
      ),
    );
    // One deadline for the whole attempt, headers and body: undici's bodyTimeout starts again with every
    // chunk, so an answer trickled a byte at a time was never timed out.
    const deadline = AbortSignal.timeout(timeoutMs);
    const { signal: stopping } = this.options;
    const cut = cutOnClose.get(this.dispatcher)?.signal;
    let status: number | null = null;
    let failure: string | null = null;
    try {
      if (stopping?.aborted) throw this.stopped(method, path);
      if (timeoutMs <= 0) {
        const none = new SolusioError(`${method} ${path}: no time left to ask SolusIO`, null, true);
        none.noAnswer = { kind: "timeout" };
        throw none;
      }
      const response = await request(url, {
        method: method as Dispatcher.HttpMethod,
        dispatcher: this.dispatcher,
        headers: {
          authorization: `Bearer ${this.options.token}`,
          accept: "application/json",
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        signal: AbortSignal.any([deadline, ...(stopping ? [stopping] : []), ...(cut ? [cut] : [])]),
      });
      status = response.statusCode;
      const text = await readBounded(response, this.options.maxAnswerBytes ?? MAX_ANSWER_BYTES, method, path);
      const json = parseJson(text, opts.exactIntegers === true);
      if (status >= 400) throw errorFor(method, path, status, json, text, response.headers);
      if (opts.answeredAt) {
        const date = dateHeader(response.headers.date);
        if (date) opts.answeredAt(date);
        else this.options.answeredWithoutDate?.(`${method} ${path}`);
      }
      if (!schema) return json as z.output<S>;
      const parsed = schema.safeParse(json);
      if (!parsed.success) {
        // A GET would bring the same answer again. A write answered 2xx was carried out, though what it
        // made cannot be read (a proxy's `<html>ok</html>`): repeating it is left to the call's loop, which
        // looks first (findIfDone), so it is retryable, and it counts as "may have been done".
        throw new SolusioError(
          `${method} ${path}: unexpected answer from SolusIO (${describeIssues(parsed.error.issues, "answer")})`,
          status,
          method !== "GET",
        );
      }
      return parsed.data;
    } catch (error) {
      let e: SolusioError;
      if (error instanceof SolusioError) e = error;
      else if (stopping?.aborted) e = this.stopped(method, path);
      else if (cut?.aborted)
        e = new SolusioError(`${method} ${path}: cut short: tokenbill is stopping`, null, true);
      else if (deadline.aborted) {
        e = new SolusioError(
          `${method} ${path}: no complete answer within the timeout of ${timeoutMs} ms`,
          null,
          true,
        );
        e.noAnswer = { kind: "timeout" };
      } else {
        e = new SolusioError(`${method} ${path}: ${(error as Error).message || "network error"}`, null, true);
        e.noAnswer = noAnswerOf(error);
      }
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

/**
 * The answer's body as text, refused once it passes `max` bytes (by its Content-Length, or while it is
 * read): the same request would bring the same answer, so it is not retried.
 */
async function readBounded(
  response: Dispatcher.ResponseData,
  max: number,
  method: string,
  path: string,
): Promise<string> {
  const tooLarge = () =>
    new SolusioError(
      `${method} ${path}: SolusIO's answer is larger than ${max} bytes, more than tokenbill reads`,
      response.statusCode,
      false,
    );
  // Closes the connection without reading on. undici's body then emits an AbortError that nobody waits for.
  const giveUp = () => {
    response.body.on("error", () => {});
    response.body.destroy();
    return tooLarge();
  };
  const declared = Number(response.headers["content-length"]);
  if (declared > max) throw giveUp();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response.body) {
    size += (chunk as Buffer).length;
    if (size > max) throw giveUp();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks, size).toString("utf8");
}

/**
 * A 5xx, no (complete) answer at all, or a write's 2xx answer that could not be read: SolusIO may have done
 * the work before the answer was lost.
 */
function mayHaveBeenDone(method: string, error: unknown): boolean {
  if (!(error instanceof SolusioError)) return false;
  const { status } = error;
  return status === null || status >= 500 || (method !== "GET" && status >= 200 && status < 300);
}

/** An HTTP Date header (IMF-fixdate, second precision) as an instant; null when missing or unreadable. */
function dateHeader(value: string | string[] | undefined): Date | null {
  const text = Array.isArray(value) ? value[0] : value;
  if (!text) return null;
  const date = new Date(text);
  return Number.isFinite(date.getTime()) ? date : null;
}

function parseJson(text: string, exactIntegers: boolean): unknown {
  if (!text) return undefined;
  try {
    return exactIntegers ? parseJsonExact(text) : JSON.parse(text);
  } catch {
    return undefined; // a non-JSON body (an HTML error page from a proxy) is possible: callers cope
  }
}

function errorFor(
  method: string,
  path: string,
  status: number,
  json: unknown,
  text: string,
  headers: Dispatcher.ResponseData["headers"],
): SolusioError {
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
  const error = new SolusioError(
    `${method} ${path}: ${status} ${message}${detail}`,
    status,
    retryable,
    fields,
  );
  // Only where it means "ask again then" (RFC 9110: 429, 503; a redirect's is no wait).
  if (status === 429 || status === 503) {
    const wait = retryAfterMs(headers["retry-after"]);
    if (wait !== undefined) error.retryAfterMs = wait;
  }
  return error;
}
