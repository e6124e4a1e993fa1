import { isIP } from "node:net";
import { z } from "zod";

// The kinds of setting one value of the configuration can be (src/config/config-schema.ts builds the settings
// from them): yes/no flags, named values, whole numbers and intervals, text, URLs, lists. Each says how an
// empty or padded value is taken and words its own refusal, so every setting of a kind answers alike.

/**
 * A yes/no setting. Empty counts as unset, so the default applies: it read as "no" until 2026-12-04, so an
 * empty `DUNNING_ENABLED=` or `CREDIT_APPLY_ON_FINALIZE=` switched off what is on by default.
 */
export function flag(fallback: boolean) {
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
export function namedValue<const T extends readonly [string, ...string[]]>(names: T, fallback: T[number]) {
  return z.enum(names, { error: refusal(`must be one of ${names.join(", ")}`) }).default(fallback);
}

/**
 * A host name or address, or a directory, taken as written: " 127.0.0.1" was looked up as a host name and
 * stopped `serve` with a stack trace (exit 1), and DATA_DIR=" /srv/tb" made a directory named " " in the
 * working directory and put the database there, unnoticed.
 */
export function unpadded(fallback: string) {
  return z
    .string()
    .min(1)
    .refine((v) => v.trim() === v, { error: "must be written without spaces around it" })
    .default(fallback);
}

/**
 * HOST: an IP address or a host name (RFC 1123 labels), taken as written. Anything else (`not a host!!`) was
 * taken until 2026-12-05 and refused only by the listen, after `serve` had migrated and started the sandbox.
 */
export function hostSetting(fallback: string) {
  return unpadded(fallback).refine((v) => v.trim() !== v || isIP(v) !== 0 || isHostName(v), {
    error:
      "must be an IP address or a host name (letters, digits, hyphens and dots), such as 127.0.0.1, :: or localhost",
  });
}

function isHostName(text: string): boolean {
  const name = text.endsWith(".") ? text.slice(0, -1) : text;
  return (
    name.length > 0 &&
    name.length <= 253 &&
    name.split(".").every((label) => /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(label))
  );
}

export const optionalSecret = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v === "" ? undefined : v));

export const optionalText = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === "" ? undefined : v.trim()));

/** A host name or IP address, or unset (blank counts as unset; spaces around it are dropped, as for text). */
export const optionalHost = optionalText.refine((v) => v === undefined || isIP(v) !== 0 || isHostName(v), {
  error: "must be an IP address or a host name (letters, digits, hyphens and dots), such as smtp.example.com",
});

export const optionalUrl = z
  // Named as what it must be: "must be a URL" refused ftp://x, which is one.
  .url({ protocol: /^https?$/, error: "must be an http(s) URL" })
  .optional()
  .or(z.literal("").transform(() => undefined));

// The sslmode values node-postgres acts on (pg-connection-string). It reads any other as "use TLS", so a typo
// failed only at the first connection, as "the server does not speak TLS", pointing at the server instead.
const PG_SSL_MODES = ["disable", "prefer", "require", "verify-ca", "verify-full", "no-verify"];

/** A PostgreSQL URL, or unset (an empty value counts as unset). */
export const optionalPostgresUrl = z
  .string()
  .regex(/^postgres(ql)?:\/\//, "must be a postgres:// or postgresql:// URL")
  // Checked here as the database is opened (new URL), whose refusal quotes the whole URL, password and all.
  .refine((url) => URL.canParse(url), {
    error:
      "is not a URL that can be read: percent-encode the user name's and password's characters that a URL " +
      "reserves (# / ? @ [ ] : as %23 %2F %3F %40 %5B %5D %3A), and give the port as a number up to 65535",
  })
  .refine((url) => sslModesOf(url).every((mode) => PG_SSL_MODES.includes(mode)), {
    // The URL itself is not repeated: it may hold the password.
    error: `sslmode must be ${PG_SSL_MODES.slice(0, -1).join(", ")} or ${PG_SSL_MODES.at(-1)}`,
  })
  .optional()
  .or(z.literal("").transform(() => undefined));

function sslModesOf(url: string): string[] {
  const query = url.indexOf("?");
  return query === -1 ? [] : new URLSearchParams(url.slice(query + 1)).getAll("sslmode");
}

/** "a | b" → ["a", "b"]: one setting holds several lines (an address), blank parts dropped. */
export const pipeLines = z
  .string()
  .default("")
  .transform((v) =>
    v
      .split("|")
      .map((line) => line.trim())
      .filter((line) => line !== ""),
  );

/**
 * A list given comma-separated or as a JSON array (in the config file, or as text in an environment variable,
 * where it starts with `[`), of at most `most` items; unset or empty: none. The JSON text lets an item hold a
 * comma (a webhook URL's query), which comma-separated it cannot.
 */
export function commaList<T extends z.ZodType>(item: T, most = Number.MAX_SAFE_INTEGER) {
  return z.preprocess((v, ctx) => {
    if (typeof v !== "string") return v;
    const text = v.trim();
    if (!text.startsWith("["))
      return text.split(",").flatMap((part) => (part.trim() === "" ? [] : [part.trim()]));
    try {
      return JSON.parse(text);
    } catch {
      // JSON.parse's own words quote the text, which may hold a URL's token.
      ctx.addIssue({ code: "custom", message: MALFORMED_LIST, input: undefined });
      return z.NEVER;
    }
  }, z.array(item).max(most).default([]));
}

const MALFORMED_LIST =
  'starts with "[" but is not a JSON array: write each item in double quotes, separated by commas, as ["first", "second"]; or give the items comma-separated without the brackets';

/** A list given as JSON text (environment variable) or as a JSON array (config file). */
export function jsonArray<T extends z.ZodType>(item: T) {
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
export function wholeNumber(min: number, max: number, fallback: number) {
  return z.preprocess(settingTextToNumber, wholeNumberIn(min, max).default(fallback));
}

/** A whole-number setting without a default: unset or empty leaves it undefined. */
export function optionalWholeNumber(min: number, max: number) {
  return z.preprocess(settingTextToNumber, wholeNumberIn(min, max).optional());
}

function wholeNumberIn(min: number, max: number) {
  const error = refusal(`must be a whole number from ${min} to ${max}, written in digits`);
  return z.number({ error }).int({ error }).min(min, { error }).max(max, { error });
}

/** A setting's refusal, saying so when spaces around the value are what is wrong with it. */
export function refusal(forms: string) {
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
export function intervalOrNever(min: number, max: number, fallback: number, zero = "never") {
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
