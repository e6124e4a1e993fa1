import { z } from "zod";

// zod's own English ("Too big: expected string to have <=19 characters", "Invalid option: expected one of
// \"a\"|\"b\"") reached people through every refusal built from its issues: the API's `issues`, the CLI's
// `error: --name: …`, the pages. Installed as zod's `customError`, this says the same in plain words.
// zod asks it only where a schema gave no message of its own, so the schemas' own wording still wins.

/** The raw issue zod hands to `customError` (the fields of each kind that the wording uses). */
type RawIssue = z.core.$ZodRawIssue;

const NOUNS: Record<string, string> = {
  string: "text",
  number: "a number",
  int: "a whole number",
  bigint: "a whole number",
  boolean: "true or false",
  array: "a list",
  object: "an object",
  date: "a date",
  nan: "a number",
  symbol: "a symbol",
  map: "a map",
  set: "a list",
  file: "a file",
};

const FORMATS: Record<string, string> = {
  email: "must be an e-mail address",
  url: "must be a URL",
  uuid: "must be a UUID",
  guid: "must be a UUID",
  datetime: "must be a date and time in ISO 8601 with its offset, such as 2026-11-20T10:00:00Z",
  date: "must be a date written YYYY-MM-DD",
  time: "must be a time written HH:MM:SS",
  duration: "must be an ISO 8601 duration",
  ipv4: "must be an IPv4 address",
  ipv6: "must be an IPv6 address",
  cidrv4: "must be an IPv4 range",
  cidrv6: "must be an IPv6 range",
  base64: "must be base64",
  base64url: "must be base64url",
  jwt: "must be a JWT",
  e164: "must be a phone number in E.164 form, such as +441234567890",
  emoji: "must be an emoji",
};

/** "1 character", "19 characters". */
function count(n: number | bigint, unit: string): string {
  return `${n} ${unit}${n === 1 || n === 1n ? "" : "s"}`;
}

function unitOf(origin: string | undefined): string | undefined {
  if (origin === "string") return "character";
  if (origin === "array" || origin === "set") return "item";
  if (origin === "file") return "byte";
  return undefined;
}

function sizeLimit(issue: { origin?: string; inclusive?: boolean }, n: number | bigint, big: boolean) {
  const unit = unitOf(issue.origin);
  const exact = issue.inclusive !== false;
  if (unit) {
    const verb = issue.origin === "string" ? "be" : "have";
    if (big) return `must ${verb} at most ${count(exact ? n : Number(n) - 1, unit)}`;
    if (issue.origin === "string" && exact && Number(n) === 1) return "must not be empty";
    return `must ${verb} at least ${count(exact ? n : Number(n) + 1, unit)}`;
  }
  const when = issue.origin === "date" ? (big ? "on or before" : "on or after") : undefined;
  // A date's limit comes as its time in milliseconds.
  const shown = issue.origin === "date" ? new Date(Number(n)).toISOString() : String(n);
  if (when) return exact ? `must be ${when} ${shown}` : `must be ${big ? "before" : "after"} ${shown}`;
  if (big) return exact ? `must be at most ${shown}` : `must be less than ${shown}`;
  return exact ? `must be at least ${shown}` : `must be greater than ${shown}`;
}

/** A value as a person types it: strings bare, others as JSON (bigint as digits). */
function shown(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "bigint") return String(value);
  return JSON.stringify(value) ?? String(value);
}

/** Plain words for one zod issue; undefined leaves zod's own (a kind not worded here). */
export function plainIssueMessage(issue: RawIssue): string | undefined {
  switch (issue.code) {
    case "invalid_type": {
      if (issue.input === undefined) return "is required";
      const noun = NOUNS[issue.expected] ?? issue.expected;
      return `must be ${noun}`;
    }
    case "too_big":
      return sizeLimit(issue, issue.maximum as number | bigint, true);
    case "too_small":
      return sizeLimit(issue, issue.minimum as number | bigint, false);
    case "invalid_value": {
      if (issue.input === undefined && !issue.values.includes(undefined)) return "is required";
      const values = issue.values.map(shown);
      if (values.length === 1) return `must be ${values[0]}`;
      return `must be one of ${values.join(", ")}`;
    }
    case "invalid_format": {
      if (issue.format === "starts_with") return `must start with ${shown(issue["prefix"])}`;
      if (issue.format === "ends_with") return `must end with ${shown(issue["suffix"])}`;
      if (issue.format === "includes") return `must contain ${shown(issue["includes"])}`;
      if (issue.format === "lowercase") return "must be in lower case";
      if (issue.format === "uppercase") return "must be in upper case";
      return FORMATS[issue.format] ?? "is not in the accepted form";
    }
    case "not_multiple_of":
      return `must be a multiple of ${shown(issue.divisor)}`;
    case "unrecognized_keys":
      return `unknown field${issue.keys.length === 1 ? "" : "s"}: ${issue.keys.join(", ")}`;
    case "invalid_key":
      return "has a key that is not accepted";
    case "invalid_element":
      return "has an item that is not accepted";
    case "invalid_union":
    case "custom":
      return "is not valid";
    default:
      return undefined;
  }
}

/**
 * Makes plainIssueMessage zod's wording for this process. Idempotent; every module that turns zod issues
 * into words people read imports this file, so it is in place before the first parse.
 */
export function usePlainZodWording(): void {
  z.config({ customError: plainIssueMessage });
}

usePlainZodWording();
