import { z } from "zod";
// zod's plain wording is installed before any setting is parsed, as every refusal here is read by people.
import "../kernel/plain-zod-wording.ts";
import {
  flag,
  hostSetting,
  intervalOrNever,
  jsonArray,
  namedValue,
  optionalHost,
  optionalPostgresUrl,
  optionalSecret,
  optionalText,
  optionalUrl,
  optionalWholeNumber,
  pipeLines,
  refusal,
  unpadded,
  wholeNumber,
} from "./setting-kinds.ts";
import {
  dunningLadder,
  fontFileList,
  isMailbox,
  canonicalTimeZone,
  LimitGroupSpec,
  webhookUrlList,
} from "./setting-shapes.ts";
import { trustProxySetting } from "./trust-proxy-setting.ts";
import { periodString } from "../kernel/schemas.ts";

// Every setting of tokenbill with its kind, range and default (docs/configuration.md lists them), and the
// checks that take several settings together (a URL that needs its token, a secret that needs its key).

/** Usage sources (solusio-api.md §9): the usage endpoint (a), snapshots (b), the activity log (c), (b)+(c). */
export const USAGE_SOURCES = ["solusio", "snapshots", "activity", "snapshots+activity"] as const;

const ConfigObject = z
  .object({
    HOST: hostSetting("127.0.0.1"),
    PORT: wholeNumber(0, 65535, 8080),
    DATABASE_URL: optionalPostgresUrl,
    // PostgreSQL only: where the job listener LISTENs, when DATABASE_URL goes through a pooler in transaction
    // mode, which cannot keep a LISTEN (docs/operations.md): the same database, reached directly.
    DATABASE_LISTEN_URL: optionalPostgresUrl,
    // PostgreSQL only: connections one process's pool opens at most (plus one for the job listener). With
    // several instances on one database their sum must stay under the server's max_connections.
    DATABASE_POOL_SIZE: wholeNumber(2, 1000, 10),
    // PostgreSQL only: statements that read or write rows go as named statements, parsed and planned once per
    // connection (src/db/named-statements.ts). A pooler that loses them turns them off by itself, with a
    // warning; off spares that one refused statement (docs/operations.md).
    DATABASE_NAMED_STATEMENTS: namedValue(["on", "off"], "on"),
    // PostgreSQL, serve only: how long a statement waits for a lock (lock_timeout on each connection) before
    // it fails as a 503 rather than holding its request for as long as another session holds the row; 0 sets
    // none. Far above what tokenbill's own transactions hold a lock (docs/operations.md).
    DATABASE_LOCK_TIMEOUT_MS: intervalOrNever(100, 600_000, 10_000, "none"),
    // memory:// exactly, or a directory: memory://x was taken as the directory ./memory:/x, past every check
    // that keeps memory:// to `serve` (a command's work went there, or a key printed was stored nowhere).
    DATA_DIR: unpadded("./data").refine((v) => v === "memory://" || !/^memory:/i.test(v), {
      error: "must be memory:// exactly (nothing after it) for an in-memory database, or a directory",
    }),
    LOG_LEVEL: namedValue(["fatal", "error", "warn", "info", "debug", "trace", "silent"], "info"),
    // auto: human-readable (pino-pretty) on a terminal, JSON lines otherwise; json or pretty force one.
    LOG_FORMAT: namedValue(["auto", "json", "pretty"], "auto"),
    // no-color.org: set to anything but empty, pretty logs on a terminal come without colours.
    NO_COLOR: optionalText,
    // The HTTP server's limits (docs/security.md): slow or greedy clients cannot hold it.
    HTTP_REQUEST_TIMEOUT_MS: wholeNumber(1000, 600_000, 30_000),
    HTTP_HEADERS_TIMEOUT_MS: wholeNumber(1000, 120_000, 10_000),
    HTTP_MAX_CONNECTIONS: wholeNumber(1, 100_000, 1024),
    // Of those, from one client address at once (not loopback, nor TRUST_PROXY's hops: docs/security.md).
    MAX_CONNECTIONS_PER_ADDRESS: wholeNumber(1, 100_000, 128),
    HTTP_BODY_LIMIT_BYTES: wholeNumber(1024, 64 * 1024 * 1024, 1024 * 1024),
    // Wrong secrets (API keys, pricing token, SSO links) one client address may present per minute.
    AUTH_FAILURES_PER_MINUTE: wholeNumber(1, 100_000, 20),
    // Behind a reverse proxy: take the client address from X-Forwarded-For (rate limits count per address),
    // believing only the hops named here (yes: the one proxy in front).
    TRUST_PROXY: trustProxySetting,
    TOKENBILL_ADMIN_API_KEY: optionalSecret.refine((v) => v === undefined || v.length >= 16, {
      message: "must be at least 16 characters",
    }),
    SOLUSIO_PRICING_TOKEN: optionalSecret,
    PRICING_PATH: z
      .string()
      .regex(/^\/[A-Za-z0-9/_.-]*$/, "must be an absolute URL path")
      .default("/solusio/api"),
    // How often an instance checks whether another instance changed pricing inputs (its staleness bound).
    PRICING_REFRESH_MS: wholeNumber(0, 600_000, 1000),
    // Also serve GET /metrics without a key on 127.0.0.1:METRICS_PORT (docs/metrics.md); unset: only on the
    // main port behind the admin key. 0 picks a free port.
    METRICS_PORT: optionalWholeNumber(0, 65535),
    // Housekeeping (docs/metrics.md): how long done jobs, the SolusIO call log and ended web sessions are kept.
    RETENTION_JOBS_DAYS: wholeNumber(1, 3650, 30),
    RETENTION_CALL_LOG_DAYS: wholeNumber(1, 3650, 30),
    RETENTION_SESSIONS_DAYS: wholeNumber(1, 3650, 30),
    // Records of server polls: kept this long, and always while their period is not billed yet.
    RETENTION_SERVER_POLLS_DAYS: wholeNumber(1, 3650, 30),
    // Idempotency-Key answers (docs/payments.md) are kept this long; Stripe keeps its own 24 hours.
    RETENTION_IDEMPOTENCY_KEYS_HOURS: wholeNumber(1, 8760, 24),
    // A minute to a day, or 0: never.
    HOUSEKEEPING_INTERVAL_MS: intervalOrNever(60_000, 86_400_000, 3_600_000),
    DEFAULT_CURRENCY: z
      .string()
      .regex(/^[A-Z]{3}$/, "must be an ISO 4217 code such as USD")
      .default("USD"),
    ROUNDING_MODE: namedValue(["half_away_from_zero", "half_even"], "half_away_from_zero"),
    // Where invoice taxes are rounded (billing-rules §4.4): once on the net, or on each line's share of it.
    TAX_ROUNDING: namedValue(["per_invoice", "per_line"], "per_invoice"),
    BILLING_TIME_ZONE: z
      .string()
      .default("UTC")
      .transform((tz, ctx) => {
        const zone = canonicalTimeZone(tz);
        if (zone !== undefined) return zone;
        ctx.addIssue({ code: "custom", message: "must be an IANA time zone such as UTC or Europe/Berlin" });
        return z.NEVER;
      }),
    // Billing cycle (billing-rules §5, solusio-api.md §9).
    USAGE_SOURCE: namedValue(USAGE_SOURCES, "solusio"),
    // A second source compared with the billed one; "true" (the old boolean) means the snapshots.
    USAGE_CROSS_CHECK: z
      .union([z.boolean(), z.string()])
      .transform((v) => (v === true || v === "true" || v === "1" || v === "yes" ? "snapshots" : v))
      .transform((v) => (v === false || v === "false" || v === "0" || v === "no" || v === "" ? "off" : v))
      .pipe(
        z.enum(["off", ...USAGE_SOURCES], {
          error: refusal(`must be one of ${["off", ...USAGE_SOURCES].join(", ")}`),
        }),
      )
      .default("off"),
    SOLUSIO_USAGE_PATH: z
      .string()
      .regex(/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/, "must be a path relative to the API base, e.g. usage")
      .default("usage"),
    SERVER_POLL_INTERVAL_MS: wholeNumber(10_000, 86_400_000, 300_000),
    BILLING_GRACE_MS: wholeNumber(0, 30 * 86_400_000, 3_600_000),
    // The first period the billing schedule bills (src/billing/runs/billing-start.ts); unset: the one recorded
    // the first time the schedule ran on the database.
    BILLING_START_PERIOD: optionalText.pipe(periodString.optional()),
    BILLING_BATCH_SIZE: wholeNumber(1, 5000, 500),
    INVOICE_NUMBER_FORMAT: z
      .string()
      .max(100)
      .regex(/\{0+\}/, "must contain a counter placeholder such as {000000}")
      .default("INV-{YYYY}-{000000}"),
    PAYMENT_TERMS_DAYS: wholeNumber(0, 365, 14),
    // Dunning (docs/dunning.md): evaluated hourly and after every payment; the ladder as a JSON array.
    DUNNING_ENABLED: flag(true),
    DUNNING_LADDER: dunningLadder,
    // Money in (billing-rules §7): credit notes have their own gapless series; a customer's credit pays
    // new invoices as they are finalized unless this is off.
    CREDIT_NOTE_NUMBER_FORMAT: z
      .string()
      .max(100)
      .regex(/\{0+\}/, "must contain a counter placeholder such as {000000}")
      .default("CN-{YYYY}-{000000}"),
    CREDIT_APPLY_ON_FINALIZE: flag(true),
    SOLUSIO_URL: optionalUrl,
    SOLUSIO_API_TOKEN: optionalSecret,
    SOLUSIO_USER_AREA_URL: optionalUrl,
    SOLUSIO_TLS_INSECURE: flag(false),
    TOKENBILL_PUBLIC_URL: optionalUrl,
    // Console and portal sessions (docs/security.md): closed after this long without a request, and after
    // this long in any case; wrong logins per e-mail and per client address in LOGIN_WINDOW_MINUTES.
    WEB_SESSION_IDLE_MINUTES: wholeNumber(1, 1440, 30),
    WEB_SESSION_MAX_HOURS: wholeNumber(1, 720, 12),
    LOGIN_FAILURES_PER_EMAIL: wholeNumber(1, 1000, 5),
    LOGIN_FAILURES_PER_IP: wholeNumber(1, 100_000, 30),
    LOGIN_WINDOW_MINUTES: wholeNumber(1, 1440, 15),
    SOLUSIO_TIMEOUT_MS: wholeNumber(100, 300_000, 10_000),
    // The SolusIO client's first wait before a retry, doubled each time up to its 5 s cap (solusio-client.ts):
    // 200 ms makes a call that keeps failing take 3–6 s over its 5 retries. Tests lower it for the failures they
    // provoke, which a child process (a CLI command) can only be told through its configuration.
    SOLUSIO_RETRY_BACKOFF_MS: wholeNumber(10, 5000, 200),
    // auto: the emulator runs in-process (sandbox) when no SOLUSIO_URL is set, on an embedded database that is
    // new or was created in sandbox mode; never on DATABASE_URL (src/app/sandbox/sandbox-decision.ts).
    TOKENBILL_SANDBOX: namedValue(["auto", "on", "off"], "auto"),
    SANDBOX_EMULATOR_PORT: wholeNumber(0, 65535, 8090),
    SOLUSIO_LIMIT_GROUPS: jsonArray(LimitGroupSpec).default([
      { name: "Default", vms: 10, running_vms: 10, additional_ips: 5 },
    ]),
    // An empty value means "no default group": SolusIO then keeps its own default for new users.
    SOLUSIO_DEFAULT_LIMIT_GROUP: z
      .string()
      .nullable()
      .default("Default")
      .transform((v) => (v === "" ? null : v)),
    // How often serve compares customers with SolusIO users and logs the drift; 0 switches it off.
    // Each round lists every SolusIO user: a minute apart at the most often, a week at the least.
    RECONCILE_INTERVAL_MS: intervalOrNever(60_000, 604_800_000, 3_600_000),
    JOB_CONCURRENCY: wholeNumber(1, 256, 8),
    // A claimed job whose runner died is taken over by another runner after this long.
    JOB_LOCK_SECONDS: wholeNumber(1, 3600, 60),
    // Failed jobs (SolusIO down) are retried after 1 s, 2 s, 4 s, … up to this cap; a cap below the first
    // step (10 ms was taken) retried a failing job a hundred times a second.
    JOB_RETRY_CAP_MS: wholeNumber(1000, 3_600_000, 60_000),
    // Invoices out: e-mail over SMTP, signed webhooks (docs/webhooks.md).
    SMTP_HOST: optionalHost, // unset: invoices are not e-mailed
    SMTP_PORT: wholeNumber(1, 65535, 587),
    SMTP_SECURE: flag(false),
    // true: never send in the clear; without SMTP_SECURE the server must offer STARTTLS or sending fails.
    SMTP_REQUIRE_TLS: flag(false),
    SMTP_USER: optionalText,
    SMTP_PASSWORD: optionalSecret,
    MAIL_FROM: z
      .string()
      .trim()
      .min(1)
      .refine(isMailbox, {
        error:
          "must be an e-mail address (billing@example.com), or a name and one in angle brackets (Example Billing <billing@example.com>)",
      })
      .default("billing@localhost"),
    SELLER_NAME: z.string().trim().min(1).default("tokenbill"),
    SELLER_ADDRESS: pipeLines,
    SELLER_EMAIL: z
      .email()
      .optional()
      .or(z.literal("").transform(() => undefined)),
    SELLER_TAX_ID: optionalText,
    // Fonts for what the PDFs' DejaVu lacks (Chinese, Japanese, Korean, Thai…), tried in order.
    PDF_FALLBACK_FONTS: fontFileList,
    WEBHOOK_URLS: webhookUrlList,
    WEBHOOK_SECRET: optionalSecret,
    // Online card payments through Stripe (docs/payments-stripe.md); unset STRIPE_SECRET_KEY: off.
    STRIPE_SECRET_KEY: optionalSecret,
    STRIPE_WEBHOOK_SECRET: optionalSecret,
    // Where the Stripe SDK sends its requests instead of https://api.stripe.com (tests point it at a fake).
    STRIPE_API_URL: optionalUrl,
    // Where Stripe Checkout sends the customer after paying or giving up; {CHECKOUT_SESSION_ID} is Stripe's.
    STRIPE_SUCCESS_URL: optionalUrl,
    STRIPE_CANCEL_URL: optionalUrl,
  })
  .strict();

export const ConfigSchema = ConfigObject.superRefine((c, ctx) => {
  if (c.DATABASE_LISTEN_URL && !c.DATABASE_URL) {
    ctx.addIssue({
      code: "custom",
      path: ["DATABASE_LISTEN_URL"],
      message: "needs DATABASE_URL: it is another way into the same PostgreSQL database",
    });
  }
  if (c.SOLUSIO_URL && !c.SOLUSIO_API_TOKEN) {
    ctx.addIssue({
      code: "custom",
      path: ["SOLUSIO_API_TOKEN"],
      message: "is required when SOLUSIO_URL is set",
    });
  }
  const defaultGroup = c.SOLUSIO_DEFAULT_LIMIT_GROUP;
  if (defaultGroup && !c.SOLUSIO_LIMIT_GROUPS.some((g) => g.name === defaultGroup)) {
    // Said so that an operator who set only SOLUSIO_LIMIT_GROUPS sees that the unset default is what fails:
    // "must name one of SOLUSIO_LIMIT_GROUPS" blamed a setting they never gave.
    const names = c.SOLUSIO_LIMIT_GROUPS.map((g) => JSON.stringify(g.name)).join(", ") || "none";
    const which =
      defaultGroup === "Default"
        ? `is "Default" (its default when unset), which SOLUSIO_LIMIT_GROUPS does not name (it names ${names}): ` +
          'add a group named "Default", or set SOLUSIO_DEFAULT_LIMIT_GROUP to one of them, or to empty for none'
        : `is ${JSON.stringify(defaultGroup)}, which SOLUSIO_LIMIT_GROUPS does not name (it names ${names}): ` +
          "set it to one of them, or to empty for none";
    ctx.addIssue({ code: "custom", path: ["SOLUSIO_DEFAULT_LIMIT_GROUP"], message: which });
  }
  if (c.USAGE_CROSS_CHECK === c.USAGE_SOURCE) {
    ctx.addIssue({
      code: "custom",
      path: ["USAGE_CROSS_CHECK"],
      message: `must name another source than USAGE_SOURCE (${c.USAGE_SOURCE}), or be off`,
    });
  }
  if (counterOf(c.CREDIT_NOTE_NUMBER_FORMAT) === counterOf(c.INVOICE_NUMBER_FORMAT)) {
    // Both series keep their counter in one table, keyed by the format with its date filled in: one key for
    // both drew invoices and credit notes from one counter, and the invoices' numbers had gaps (§5).
    ctx.addIssue({
      code: "custom",
      path: ["CREDIT_NOTE_NUMBER_FORMAT"],
      message: `numbers from the same counter as INVOICE_NUMBER_FORMAT (${c.INVOICE_NUMBER_FORMAT}): credit notes need a series of their own, e.g. CN-{YYYY}-{000000}`,
    });
  }
  if (c.WEBHOOK_URLS.length > 0 && !c.WEBHOOK_SECRET) {
    ctx.addIssue({
      code: "custom",
      path: ["WEBHOOK_SECRET"],
      message: "is required when WEBHOOK_URLS is set",
    });
  }
  // Payments are recorded only from Stripe's signed webhooks: taking payments without the secret that
  // verifies them would take money tokenbill never records.
  if (c.STRIPE_SECRET_KEY && !c.STRIPE_WEBHOOK_SECRET) {
    ctx.addIssue({
      code: "custom",
      path: ["STRIPE_WEBHOOK_SECRET"],
      message: "is required when STRIPE_SECRET_KEY is set (payments are recorded from signed webhooks)",
    });
  }
});

/** A number format's counter, the same for two formats that fill in the same key in every year 2000–2099. */
function counterOf(format: string): string {
  return format.replaceAll("{YYYY}", "20{YY}");
}

export type ConfigInput = z.input<typeof ConfigSchema>;
export type Config = Readonly<z.output<typeof ConfigSchema>>;

/** Every setting's name: the keys read from the environment and the order `tokenbill config` prints them in. */
export const KNOWN_KEYS = Object.keys(ConfigObject.shape);
