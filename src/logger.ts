import { isatty } from "node:tty";
import { type DestinationStream, type Logger, type LoggerOptions, pino, stdSerializers } from "pino";
import pretty from "pino-pretty";
import { type Config, maskUrl, maskUrlsIn } from "./config.ts";

// Structured JSON logs. Secrets never reach them, whatever a log call is handed and at every level:
// - config is logged only through describeConfig();
// - pino's redaction censors credential headers of a serialized request or response (req.headers…);
// - every logged object passes maskSecretFields() below, which censors credential fields at any depth and
//   masks URLs (a path or query token). It walks plain objects only and returns the original when nothing
//   needed masking: about a microsecond per line (measured against a bare pino logger). Wildcard redact
//   paths (*.password) would cost ten times that and still stop at a fixed depth;
// - a request logged as `req` (Fastify's request, a raw IncomingMessage) is written with its URL masked;
// - an error logged as `err` is masked after pino's serializer wrote it out (message, stack, causes and every
//   property it carries, Node's "Invalid URL" `input` among them), and a URL quoted in any text field loses
//   its credentials (maskUrlsIn). The message string is written as given: the sandbox's mail puts its login
//   links there for the newcomer to click, so a log call puts an error's words in `err`, not in its message.

const MASK = "********";

/** Field names (compared without case) whose values are credentials wherever they appear. */
const SECRET_FIELDS = new Set(
  [
    "password",
    "passwd",
    "pass",
    "secret",
    "token",
    "access_token",
    "refresh_token",
    "api_token",
    "api_key",
    "apikey",
    "admin_token",
    "admintoken",
    "client_secret",
    "private_key",
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
    "x-api-key",
  ].map((name) => name.toLowerCase()),
);

/** Fields whose string values are URLs: they keep host and path but lose credentials (maskUrl). */
const URL_FIELDS = new Set(["url", "endpoint", "webhook", "href", "location"]);

/** A value that is a credential by its form, whatever its field is called. */
const CREDENTIAL_TEXT = /^(?:bearer|basic)\s|^tbk_/i;

const MAX_DEPTH = 12;

/** A record: {…}, Object.create(null), or a null-prototype class such as Fastify's parsed query. */
function isPlainObject(value: object): value is Record<string, unknown> {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null || Object.getPrototypeOf(proto) === null;
}

/**
 * The value with every credential censored: fields named like a secret, strings that are a credential
 * (a "Bearer …" header, an admin API key) and URLs under url-like fields. Errors and other class instances
 * are left to their serializers; untouched branches are returned as they are, never copied.
 */
export function maskSecretFields(value: unknown, depth = 0): unknown {
  if (typeof value === "string") return CREDENTIAL_TEXT.test(value) ? MASK : maskUrlsIn(value);
  if (value === null || typeof value !== "object" || depth > MAX_DEPTH) return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    value.forEach((item, i) => {
      const masked = maskSecretFields(item, depth + 1);
      if (masked === item) return;
      copy ??= [...value];
      copy[i] = masked;
    });
    return copy ?? value;
  }
  if (!isPlainObject(value)) return value;
  let copy: Record<string, unknown> | undefined;
  for (const key of Object.keys(value)) {
    const item = value[key];
    const lower = key.toLowerCase();
    const masked =
      item === undefined || item === null
        ? item
        : SECRET_FIELDS.has(lower)
          ? MASK
          : URL_FIELDS.has(lower) && typeof item === "string"
            ? maskUrl(item)
            : maskSecretFields(item, depth + 1);
    if (masked === item) continue;
    copy ??= { ...value };
    copy[key] = masked;
  }
  return copy ?? value;
}

/** Credential headers wherever a serializer puts a request or response (after maskSecretFields ran). */
function headerPaths(): string[] {
  const headers = ["authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key"];
  const parents = ["", "req.", "res.", "request.", "response."];
  return parents.flatMap((parent) => headers.map((h) => `${parent}headers["${h}"]`));
}

/**
 * A request as one log field: what Fastify's own serializer writes (which ours replaces, as a logger's
 * serializers win over Fastify's), with the URL masked, as a query may carry a token. A plain object was
 * already masked and is kept as it is.
 */
function serializeRequest(req: unknown): unknown {
  if (req === null || typeof req !== "object" || isPlainObject(req)) return req;
  const r = req as {
    method?: string;
    url?: string;
    host?: string;
    ip?: string;
    headers?: Record<string, unknown>;
    socket?: { remoteAddress?: string; remotePort?: number };
  };
  return {
    method: r.method,
    url: typeof r.url === "string" ? maskUrl(r.url) : r.url,
    host: r.host ?? r.headers?.["host"],
    remoteAddress: r.ip ?? r.socket?.remoteAddress,
    remotePort: r.socket?.remotePort,
  };
}

/**
 * An error as one log field: pino's own serializer (type, message and stack with their causes', aggregated
 * errors, every property), then masked. Its `input` is a URL Node refused to read (ERR_INVALID_URL), which
 * maskUrl masks whole.
 */
function serializeError(err: unknown): unknown {
  const written = stdSerializers.err(err as Error) as unknown;
  if (written === err || written === null || typeof written !== "object") return written;
  return maskErrorFields(written as Record<string, unknown>, 0);
}

/** Masks a serialized error in place: it is the serializer's own new object, never the error itself. */
function maskErrorFields(written: Record<string, unknown>, depth: number): Record<string, unknown> {
  for (const key of Object.keys(written)) {
    const item = written[key];
    const lower = key.toLowerCase();
    if (item === undefined || item === null) continue;
    if (SECRET_FIELDS.has(lower)) written[key] = MASK;
    else if ((URL_FIELDS.has(lower) || lower === "input") && typeof item === "string")
      written[key] = maskUrl(item);
    else if (key === "aggregateErrors" && Array.isArray(item) && depth < MAX_DEPTH)
      written[key] = item.map((e) =>
        e !== null && typeof e === "object" ? maskErrorFields(e as Record<string, unknown>, depth + 1) : e,
      );
    else if (typeof item === "object" && !isPlainObject(item) && "stack" in item && depth < MAX_DEPTH)
      written[key] = maskErrorFields(item as Record<string, unknown>, depth + 1); // an error it carries
    else written[key] = maskSecretFields(item, depth + 1);
  }
  return written;
}

/** The logger options, shared by every destination (tests log into memory with the same ones). */
export function loggerOptions(config: Pick<Config, "LOG_LEVEL">): LoggerOptions {
  return {
    level: config.LOG_LEVEL,
    base: { service: "tokenbill" },
    redact: { paths: headerPaths(), censor: MASK },
    formatters: { log: (object) => maskSecretFields(object) as Record<string, unknown> },
    serializers: { req: serializeRequest, err: serializeError },
  };
}

/**
 * Whether logs to this file descriptor are written for a person (pino-pretty) rather than as JSON lines:
 * LOG_FORMAT=pretty or json decides; auto means pretty on a terminal only, so pipes, files and log
 * collectors always get JSON.
 */
export function prettyLogs(
  config: Partial<Pick<Config, "LOG_FORMAT">>,
  fd: 1 | 2,
  tty = isatty(fd),
): boolean {
  const format = config.LOG_FORMAT ?? "auto";
  return format === "pretty" || (format === "auto" && tty);
}

export function createLogger(
  config: Pick<Config, "LOG_LEVEL"> & Partial<Pick<Config, "LOG_FORMAT" | "NO_COLOR">>,
  destination: "stdout" | "stderr" | DestinationStream = "stdout",
): Logger {
  if (typeof destination !== "string") return pino(loggerOptions(config), destination);
  const fd = destination === "stdout" ? 1 : 2;
  // The masking above runs before any stream, so pretty lines are masked exactly as JSON ones are.
  const stream = prettyLogs(config, fd)
    ? pretty({
        destination: fd,
        sync: true,
        colorize: isatty(fd) && config.NO_COLOR === undefined,
        ignore: "pid,hostname,service",
        translateTime: "SYS:HH:MM:ss",
      })
    : pino.destination(fd);
  return pino(loggerOptions(config), stream);
}
