import { existsSync, readFileSync, statSync } from "node:fs";
import { type Config, KNOWN_KEYS } from "./config-schema.ts";
import { loneSettingWarnings } from "./lone-settings.ts";
import { jsonMistake } from "./json-mistake.ts";
import { maskUrl, maskWebhookUrl } from "./mask-url.ts";
import { ConfigError, parseConfig } from "./parse-config.ts";
import { SECRET_KEYS, URL_KEYS } from "./sensitive-keys.ts";

// Loading the configuration: the config file (TOKENBILL_CONFIG, or ./tokenbill.config.json when present),
// with a warning when others may read its secrets, overlaid by the environment. Nothing else in the program
// reads process.env.

/** Settings whose empty value says something other than "unset". */
const EMPTY_MEANS_NONE = new Set(["SOLUSIO_DEFAULT_LIMIT_GROUP"]);

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
    // A webhook receiver's URL is its secret, however short (mask-url.ts, maskWebhookUrl).
    const mask = key === "WEBHOOK_URLS" ? maskWebhookUrl : maskUrl;
    return urls.some((url) => typeof url === "string" && mask(url) !== url);
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

/** The config file's object; a text that is not JSON is refused by where it goes wrong, never by its words. */
function parseConfigFile(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(jsonMistake(text));
  }
}

/** Reads the config file (if any) and the environment; environment wins. */
export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  cwd = process.cwd(),
  warn: ConfigWarning = warnOnStderr,
): Config {
  // Empty is unset here too, as for every setting: TOKENBILL_CONFIG= stopped the program until 2026-12-05 with
  // "config file : ENOENT: no such file or directory, open ''".
  const named = env["TOKENBILL_CONFIG"];
  const explicitFile = named === undefined || named.trim() === "" ? undefined : named;
  const file = explicitFile ?? `${cwd}/tokenbill.config.json`;
  let fromFile: Record<string, unknown> = {};
  if (explicitFile !== undefined || existsSync(file)) {
    try {
      const parsed: unknown = parseConfigFile(readFileSync(file, "utf8"));
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
  // A problem with a value the file gave names the file: one found by itself (./tokenbill.config.json) was
  // named nowhere, and the operator looked for BOGUS in the environment.
  const config = parseConfig({ ...fromFile, ...fromEnv }, (key) =>
    key in fromFile && !(key in fromEnv) ? file : undefined,
  );
  for (const line of loneSettingWarnings(config)) warn(line);
  return config;
}
