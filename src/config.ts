import { existsSync, readFileSync, statSync } from "node:fs";
import { isIP } from "node:net";
import { z } from "zod";
import "./kernel/plain-zod-wording.ts";

// The whole configuration of tokenbill, parsed once at start (house style §4). Values come from an optional
// JSON file (TOKENBILL_CONFIG, or ./tokenbill.config.json when present) overlaid by environment variables;
// keys are the environment variable names in both. Nothing else in the program reads process.env.

/** Usage sources (solusio-api.md §9): the usage endpoint (a), snapshots (b), the activity log (c), (b)+(c). */
export const USAGE_SOURCES = ["solusio", "snapshots", "activity", "snapshots+activity"] as const;

/**
 * A yes/no setting. Empty counts as unset, so the default applies: it read as "no" until 2026-12-04, so an
 * empty `DUNNING_ENABLED=` or `CREDIT_APPLY_ON_FINALIZE=` switched off what is on by default.
 */
function flag(fallback: boolean) {
  // One wording for every wrong value: it said only "is not valid", naming neither the spellings taken nor
  // the spaces around " true" that made it wrong.
  const error = refusal("must be true or false (or yes or no, 1 or 0)");
  return z.preprocess(
    (v) => (typeof v === "string" && v.trim() === "" ? undefined : v),
    z
      .union([z.boolean(), z.enum(["true", "false", "1", "0", "yes", "no"])], { error })
      .transform((v) => v === true || v === "true" || v === "1" || v === "yes")
      .default(fallback),
  );
}

/** A named value (`info`, `on`), taken as written; a refusal lists the names and says so of spaces around it. */
function namedValue<const T extends readonly [string, ...string[]]>(names: T, fallback: T[number]) {
  return z.enum(names, { error: refusal(`must be one of ${names.join(", ")}`) }).default(fallback);
}

/**
 * A host name or address, or a directory, taken as written: " 127.0.0.1" was looked up as a host name and
 * stopped `serve` with a stack trace (exit 1), and DATA_DIR=" /srv/tb" made a directory named " " in the
 * working directory and put the database there, unnoticed.
 */
function unpadded(fallback: string) {
  return z
    .string()
    .min(1)
    .refine((v) => v.trim() === v, { error: "must be written without spaces around it" })
    .default(fallback);
}

const optionalSecret = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v === "" ? undefined : v));

const optionalText = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === "" ? undefined : v.trim()));

const optionalUrl = z
  .url({ protocol: /^https?$/ })
  .optional()
  .or(z.literal("").transform(() => undefined));

/** A limit group tokenbill keeps in SolusIO (seed step 5); -1 means unlimited. */
const LimitGroupSpec = z
  .object({
    name: z.string().min(1).max(200),
    vms: z.number().int().min(-1),
    running_vms: z.number().int().min(-1),
    additional_ips: z.number().int().min(-1),
  })
  .strict();

/**
 * One rung of the dunning ladder (billing-rules §8): `days` from the earliest overdue invoice's due date (−3
 * is three days before it), what is e-mailed, what status the customer gets in SolusIO. A rung with neither
 * is only recorded (termination: listed for staff, never done by the ladder).
 */
const DunningStepSpec = z
  .object({
    step: z.string().regex(/^[a-z][a-z0-9_]{0,39}$/, "must be a lower-case name such as first_overdue"),
    days: z.number().int().min(-60).max(365),
    email: z.enum(["reminder", "first_overdue", "second_overdue", "final_notice"]).optional(),
    status: z.enum(["locked", "suspended"]).optional(),
  })
  .strict();

/** billing-rules §8's defaults. */
const DEFAULT_DUNNING_LADDER: z.input<typeof DunningStepSpec>[] = [
  { step: "reminder", days: -3, email: "reminder" },
  { step: "first_overdue", days: 1, email: "first_overdue" },
  { step: "second_overdue", days: 7, email: "second_overdue", status: "locked" },
  { step: "final_notice", days: 14, email: "final_notice", status: "suspended" },
  { step: "termination_candidate", days: 14 },
];

/** "a | b" → ["a", "b"]: one setting holds several lines (an address), blank parts dropped. */
const pipeLines = z
  .string()
  .default("")
  .transform((v) =>
    v
      .split("|")
      .map((line) => line.trim())
      .filter((line) => line !== ""),
  );

/**
 * A list given comma-separated (environment variable) or as a JSON array (config file), of at most `most`
 * items; unset or empty: none.
 */
function commaList<T extends z.ZodType>(item: T, most = Number.MAX_SAFE_INTEGER) {
  return z.preprocess(
    (v) =>
      typeof v === "string"
        ? v
            .split(",")
            .map((part) => part.trim())
            .filter((part) => part !== "")
        : v,
    z.array(item).max(most).default([]),
  );
}

/**
 * Webhook endpoints: http(s) URLs without a user name or password, which fetch refuses to send to (every
 * delivery would fail). The problem names the entry by its index and origin, never the credential.
 */
const webhookUrlList = commaList(
  z.url({ protocol: /^https?$/ }).refine(
    (url) => {
      const parsed = new URL(url);
      return parsed.username === "" && parsed.password === "";
    },
    {
      error: (issue) =>
        `${new URL(String(issue.input)).origin} carries a user name or password, which webhook requests cannot send; give the receiver a token in the path or query instead`,
    },
  ),
);

/** Font files, each `path` or `path#PostScriptName` (one face of a collection), each existing. */
const fontFileList = commaList(
  z.string().refine((spec) => existsSync(spec.replace(/#[^#/]*$/, "")), {
    error: (issue) => `no such font file: ${String(issue.input)}`,
  }),
  8,
);

/** A list given as JSON text (environment variable) or as a JSON array (config file). */
function jsonArray<T extends z.ZodType>(item: T) {
  return z.preprocess((v) => {
    if (typeof v !== "string") return v;
    try {
      return JSON.parse(v);
    } catch {
      return v; // reported below as "expected array"
    }
  }, z.array(item));
}

/**
 * A whole-number setting: an integer in the config file, or decimal digits in the environment. Empty counts
 * as unset, so the default applies, as for the other settings: `z.coerce` before read an empty
 * `PAYMENT_TERMS_DAYS=` as 0 days and an empty `PORT=` as "any free port", and took `0x10`, `1e3` or a file's
 * `null` (0) and `true` (1) as numbers. Those are refused now, naming the setting. So are spaces around the
 * digits (" 5" was 5 until 2026-12-05): a value of a fixed form is taken as written, as yes/no and named
 * values (`true`, `info`) always were; only text settings drop their spaces.
 */
function wholeNumber(min: number, max: number, fallback: number) {
  return z.preprocess(settingTextToNumber, wholeNumberIn(min, max).default(fallback));
}

/** A whole-number setting without a default: unset or empty leaves it undefined. */
function optionalWholeNumber(min: number, max: number) {
  return z.preprocess(settingTextToNumber, wholeNumberIn(min, max).optional());
}

function wholeNumberIn(min: number, max: number) {
  const error = refusal(`must be a whole number from ${min} to ${max}, written in digits`);
  return z.number({ error }).int({ error }).min(min, { error }).max(max, { error });
}

/** A setting's refusal, saying so when spaces around the value are what is wrong with it. */
function refusal(forms: string) {
  return (issue: { input?: unknown }) =>
    typeof issue.input === "string" && issue.input.trim() !== issue.input
      ? `${forms}, without spaces around it`
      : forms;
}

/**
 * How often `serve` does some work, in milliseconds, or 0 for never: nothing between 0 and `min`, where the
 * work would run back to back. HOUSEKEEPING_INTERVAL_MS=1 was taken until 2026-12-05, and `serve` vacuumed
 * every table without pause (152 info lines in 3 minutes, admin calls held up to 1.1 s).
 */
function intervalOrNever(min: number, max: number, fallback: number, zero = "never") {
  const error = refusal(`must be 0 (${zero}) or a whole number from ${min} to ${max}, written in digits`);
  return z.preprocess(
    settingTextToNumber,
    z
      .number({ error })
      .int({ error })
      .refine((ms) => ms === 0 || (ms >= min && ms <= max), { error })
      .default(fallback),
  );
}

/** A setting's text: blank is unset, plain digits a number, anything else (spaces around too) left to be refused. */
function settingTextToNumber(value: unknown): unknown {
  if (typeof value !== "string") return value;
  if (value.trim() === "") return undefined;
  return /^[0-9]{1,16}$/.test(value) ? Number(value) : value;
}

/** The most proxies TRUST_PROXY may count in front of tokenbill. */
const MOST_PROXY_HOPS = 16;
const TRUST_PROXY_FORMS = `must be true or false, a number of proxies in front (0 to ${MOST_PROXY_HOPS}, written in digits), or a comma-separated list of the proxies' IP addresses or CIDR ranges`;

/** An IP address, or a CIDR range (`10.0.0.0/8`, `fd00::/8`). */
function isAddressOrRange(text: string): boolean {
  const [address = "", prefix, ...more] = text.split("/");
  const version = isIP(address);
  if (version === 0 || more.length > 0) return false;
  if (prefix === undefined) return true;
  return /^[0-9]{1,3}$/.test(prefix) && Number(prefix) <= (version === 4 ? 32 : 128);
}

/**
 * Which hops in front of tokenbill are proxies whose X-Forwarded-For is believed (src/http/client-address.ts):
 * false (none: the client address is the socket's), a number of hops (yes is 1: the one proxy in front), or
 * the proxies' addresses and CIDR ranges. Yes meant "every hop" until 2026-12-04, so the client address was
 * the left-most X-Forwarded-For entry, which the client writes when the proxy appends to the header.
 */
const trustProxySetting = z.preprocess(
  (v) => {
    if (v === true) return 1;
    if (v === false) return 0;
    if (typeof v !== "string") return v;
    const text = v.trim();
    if (text === "") return undefined;
    // Taken as written, as the numbers are; spaces after a list's commas are fine.
    if (text !== v) return v;
    if (["true", "yes"].includes(text)) return 1;
    if (["false", "no"].includes(text)) return 0;
    if (/^[0-9]{1,16}$/.test(text)) return Number(text);
    return text
      .split(",")
      .map((part) => part.trim())
      .filter((part) => part !== "");
  },
  z
    .union(
      [
        z
          .number({ error: TRUST_PROXY_FORMS })
          .int({ error: TRUST_PROXY_FORMS })
          .min(0, { error: TRUST_PROXY_FORMS })
          .max(MOST_PROXY_HOPS, { error: TRUST_PROXY_FORMS }),
        z
          .array(z.string({ error: TRUST_PROXY_FORMS }), { error: TRUST_PROXY_FORMS })
          .min(1, { error: TRUST_PROXY_FORMS })
          .superRefine((list, ctx) => {
            const bad = list.find((item) => !isAddressOrRange(item));
            if (bad !== undefined)
              ctx.addIssue({
                code: "custom",
                message: `${TRUST_PROXY_FORMS}; ${JSON.stringify(bad)} is neither an IP address nor a CIDR range`,
              });
          }),
      ],
      { error: refusal(TRUST_PROXY_FORMS) },
    )
    .default(0)
    .transform((v): false | number | readonly string[] => (v === 0 ? false : v)),
);

/** A PostgreSQL URL, or unset (an empty value counts as unset). */
const optionalPostgresUrl = z
  .string()
  .regex(/^postgres(ql)?:\/\//, "must be a postgres:// or postgresql:// URL")
  .optional()
  .or(z.literal("").transform(() => undefined));

const ConfigObject = z
  .object({
    HOST: unpadded("127.0.0.1"),
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
    DATA_DIR: unpadded("./data"),
    LOG_LEVEL: namedValue(["fatal", "error", "warn", "info", "debug", "trace", "silent"], "info"),
    // auto: human-readable (pino-pretty) on a terminal, JSON lines otherwise; json or pretty force one.
    LOG_FORMAT: namedValue(["auto", "json", "pretty"], "auto"),
    // no-color.org: set to anything but empty, pretty logs on a terminal come without colours.
    NO_COLOR: optionalText,
    // The HTTP server's limits (docs/security.md): slow or greedy clients cannot hold it.
    HTTP_REQUEST_TIMEOUT_MS: wholeNumber(1000, 600_000, 30_000),
    HTTP_HEADERS_TIMEOUT_MS: wholeNumber(1000, 120_000, 10_000),
    HTTP_MAX_CONNECTIONS: wholeNumber(1, 100_000, 1024),
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
      .refine((tz) => isTimeZone(tz), { message: "must be an IANA time zone such as UTC or Europe/Berlin" }),
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
    BILLING_BATCH_SIZE: wholeNumber(1, 5000, 500),
    INVOICE_NUMBER_FORMAT: z
      .string()
      .max(100)
      .regex(/\{0+\}/, "must contain a counter placeholder such as {000000}")
      .default("INV-{YYYY}-{000000}"),
    PAYMENT_TERMS_DAYS: wholeNumber(0, 365, 14),
    // Dunning (docs/dunning.md): evaluated hourly and after every payment; the ladder as a JSON array.
    DUNNING_ENABLED: flag(true),
    DUNNING_LADDER: jsonArray(DunningStepSpec)
      .default(DEFAULT_DUNNING_LADDER)
      .superRefine((ladder, zctx) => {
        const names = new Set<string>();
        ladder.forEach((s, i) => {
          if (names.has(s.step) || s.step === "closed")
            zctx.addIssue({
              code: "custom",
              path: [i, "step"],
              message: `${s.step} is used twice or reserved`,
            });
          names.add(s.step);
          // Nothing is overdue before the day after the due date: no lock or suspension can come earlier.
          if (s.status !== undefined && s.days < 1)
            zctx.addIssue({ code: "custom", path: [i, "days"], message: "a status step needs days >= 1" });
        });
      }),
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
    SMTP_HOST: optionalText, // unset: invoices are not e-mailed
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
  if (
    c.SOLUSIO_DEFAULT_LIMIT_GROUP &&
    !c.SOLUSIO_LIMIT_GROUPS.some((g) => g.name === c.SOLUSIO_DEFAULT_LIMIT_GROUP)
  ) {
    ctx.addIssue({
      code: "custom",
      path: ["SOLUSIO_DEFAULT_LIMIT_GROUP"],
      message: "must name one of SOLUSIO_LIMIT_GROUPS",
    });
  }
  if (c.USAGE_CROSS_CHECK === c.USAGE_SOURCE) {
    ctx.addIssue({
      code: "custom",
      path: ["USAGE_CROSS_CHECK"],
      message: `must name another source than USAGE_SOURCE (${c.USAGE_SOURCE}), or be off`,
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

export type ConfigInput = z.input<typeof ConfigSchema>;
export type Config = Readonly<z.output<typeof ConfigSchema>>;

/** Keys whose values are never printed or logged. */
export const SECRET_KEYS = [
  "TOKENBILL_ADMIN_API_KEY",
  "SOLUSIO_PRICING_TOKEN",
  "SOLUSIO_API_TOKEN",
  "SMTP_PASSWORD",
  "WEBHOOK_SECRET",
  "STRIPE_SECRET_KEY",
  "STRIPE_WEBHOOK_SECRET",
] as const;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/**
 * A sender as MAIL_FROM takes it: `billing@example.com` or `Example Billing <billing@example.com>`. Anything
 * else ("billing", a name alone) was taken until 2026-12-05: handed to the SMTP server as the sender of every
 * e-mail, and printed as the seller's e-mail on invoices while SELLER_EMAIL is unset.
 */
function isMailbox(text: string): boolean {
  if (/\p{Cc}/u.test(text)) return false;
  const address = /^[^\s<>@",;]+@[^\s<>@",;]+$/;
  if (address.test(text)) return true;
  const named = /^[^<>]*<([^<>]+)>$/.exec(text);
  return named !== null && address.test(named[1]!);
}

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

const KNOWN_KEYS = Object.keys(ConfigObject.shape);
/** Settings whose empty value says something other than "unset". */
const EMPTY_MEANS_NONE = new Set(["SOLUSIO_DEFAULT_LIMIT_GROUP"]);

/** Parses a raw key/value record; lists every problem at once. */
export function parseConfig(raw: Record<string, unknown>): Config {
  const result = ConfigSchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      if (issue.code === "unrecognized_keys") return `unknown setting(s): ${issue.keys.join(", ")}`;
      const key = issue.path.join(".") || "(config)";
      return `${key}: ${issue.message}`;
    });
    throw new ConfigError(problems);
  }
  return Object.freeze(result.data);
}

/** Where a warning about the config file goes: one line on stderr, before any logger exists. */
export type ConfigWarning = (line: string) => void;
const warnOnStderr: ConfigWarning = (line) => void process.stderr.write(`${line}\n`);

/**
 * The secret settings a config file holds (by name): the secret keys, and URLs with credentials in them.
 * Values are never named, only keys.
 */
function secretsIn(fromFile: Record<string, unknown>): string[] {
  return Object.keys(fromFile).filter((key) => {
    const value = fromFile[key];
    if ((SECRET_KEYS as readonly string[]).includes(key)) return value !== undefined && value !== "";
    if (!URL_KEYS.includes(key)) return false;
    const urls = Array.isArray(value) ? value : [value];
    return urls.some((url) => typeof url === "string" && maskUrl(url) !== url);
  });
}

/**
 * A config file with secrets that other users may read gets a warning, as OpenSSH gives a private key with
 * such permissions; not a refusal, so an upgrade never stops a running installation over it.
 */
function warnIfReadableByOthers(file: string, fromFile: Record<string, unknown>, warn: ConfigWarning): void {
  if (process.platform === "win32") return;
  const secrets = secretsIn(fromFile);
  if (secrets.length === 0) return;
  const mode = statSync(file).mode & 0o777;
  if ((mode & 0o077) === 0) return;
  warn(
    `warning: config file ${file} holds secrets (${secrets.join(", ")}) and other users may read it ` +
      `(mode ${mode.toString(8).padStart(4, "0")}): chmod 600 ${file}`,
  );
}

/** Reads the config file (if any) and the environment; environment wins. */
export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  cwd = process.cwd(),
  warn: ConfigWarning = warnOnStderr,
): Config {
  const explicitFile = env["TOKENBILL_CONFIG"];
  const file = explicitFile ?? `${cwd}/tokenbill.config.json`;
  let fromFile: Record<string, unknown> = {};
  if (explicitFile !== undefined || existsSync(file)) {
    try {
      const parsed: unknown = JSON.parse(readFileSync(file, "utf8"));
      if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
        throw new Error("the file must hold one JSON object");
      }
      fromFile = parsed as Record<string, unknown>;
    } catch (e) {
      throw new ConfigError([`config file ${file}: ${(e as Error).message}`]);
    }
    warnIfReadableByOthers(file, fromFile, warn);
  }
  const fromEnv: Record<string, unknown> = {};
  for (const key of KNOWN_KEYS) {
    const value = env[key];
    // Empty is unset (env files and compose files write `X=` for "not given"): the file's value or the
    // default applies. Before 2026-12-04 an empty number read as 0 and an empty yes/no as no, silently.
    if (value !== undefined && (value.trim() !== "" || EMPTY_MEANS_NONE.has(key))) fromEnv[key] = value;
  }
  return parseConfig({ ...fromFile, ...fromEnv });
}

/** Keys holding URLs: printed and logged only through maskUrl(), as they may carry credentials. */
export const URL_KEYS = [
  "SOLUSIO_URL",
  "SOLUSIO_USER_AREA_URL",
  "TOKENBILL_PUBLIC_URL",
  "DATABASE_URL",
  "DATABASE_LISTEN_URL",
  "WEBHOOK_URLS",
  "STRIPE_API_URL",
  "STRIPE_SUCCESS_URL",
  "STRIPE_CANCEL_URL",
];

/** The effective configuration with secrets masked, for `tokenbill config` and the start log. */
export function describeConfig(config: Config): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of KNOWN_KEYS) {
    const value = (config as Record<string, unknown>)[key];
    if ((SECRET_KEYS as readonly string[]).includes(key))
      out[key] = value === undefined ? undefined : "********";
    else if (URL_KEYS.includes(key) && typeof value === "string") out[key] = maskUrl(value);
    else if (URL_KEYS.includes(key) && Array.isArray(value)) out[key] = value.map((u) => maskUrl(String(u)));
    else out[key] = value;
  }
  return out;
}

const MASK = "********";

/**
 * A URL fit for a log or a terminal: the password of its user-info (and a token-like user name), every
 * query value, the fragment and every token-like path segment become ******** (webhook URLs carry their
 * secret in the path, as https://hooks.example/T0/B1/abcdef123456secret, or in the query, as ?token=…).
 * A relative URL (a request's "/path?query") is masked the same way; anything unparsable is masked whole.
 * A URL with nothing to mask comes back unchanged.
 */
export function maskUrl(url: string): string {
  const relative = url.startsWith("/") && !url.startsWith("//");
  let u: URL;
  try {
    u = relative ? new URL(url, "http://relative.invalid") : new URL(url);
  } catch {
    return MASK;
  }
  let changed = false;
  if (isTokenLike(u.username)) {
    u.username = MASK; // a token given as the user name, as some services take it
    changed = true;
  }
  if (u.password) {
    u.password = MASK;
    changed = true;
  }
  const segments = u.pathname.split("/");
  if (segments.some(isTokenLike)) {
    u.pathname = segments.map((s) => (isTokenLike(s) ? MASK : s)).join("/");
    changed = true;
  }
  if (u.search) {
    const masked = new URLSearchParams();
    for (const [name, value] of u.searchParams) masked.append(name, value === "" ? "" : MASK);
    u.search = masked.toString();
    changed = true;
  }
  if (u.hash) {
    u.hash = MASK;
    changed = true;
  }
  if (!changed) return url;
  return relative ? u.pathname + u.search + u.hash : u.toString();
}

/**
 * A path segment that looks like a credential rather than a name: 16 characters or more with a digit or
 * with both cases (random tokens, hex, UUIDs), or 40 and more of anything. "invoice-notifications" stays.
 */
function isTokenLike(segment: string): boolean {
  if (segment.length >= 40) return true;
  if (segment.length < 16) return false;
  return /\d/.test(segment) || (/[a-z]/.test(segment) && /[A-Z]/.test(segment));
}

/** Where SolusIO reaches tokenbill; setup pushes this + PRICING_PATH to SolusIO. */
export function publicUrl(config: Config): string {
  return config.TOKENBILL_PUBLIC_URL ?? `http://${config.HOST}:${config.PORT}`;
}
