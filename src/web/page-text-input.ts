import type { FastifyInstance, FastifyRequest, preHandlerHookHandler } from "fastify";
import {
  assertCleanText,
  MAX_BODY_TEXT,
  MAX_QUERY_TEXT,
  textDirectionControlIn,
} from "../kernel/clean-text.ts";
import { isServiceError, ServiceError } from "../kernel/errors.ts";

// The console's and the portal's forms, query strings and path parameters are held to the admin API's text
// rules (src/kernel/clean-text.ts: no control characters, valid Unicode, 10,000 characters a form field and
// 1,000 a query value, 32 levels of nesting). Pages hand form fields to verbs that trust the API's check: a
// NUL byte in a name or a search was a 500 (PostgreSQL refuses it), a BEL or an escape sequence was stored,
// and an ESC in ?q= was written back into the page. One check for every page, installed before any page is
// registered, so no page can forget it.

declare module "fastify" {
  interface FastifyContextConfig {
    /**
     * Form fields read line by line (a textarea whose every line becomes an entry, as a tax rule's rates):
     * their line breaks (CRLF or LF, as browsers send a textarea's) are allowed, nothing else is.
     */
    lineFields?: readonly string[];
    /**
     * The route answers a refusal by showing its form again with the person's entry (it calls
     * refuseFormText first in the try block whose catch re-shows the form): a control character in one of
     * its one-line fields is then dropped from the entry, and a field over the bound cut to it, and the field
     * named beside it (above the form when the form does not show it), instead of the 400 error page that
     * lost what was typed.
     */
    reshowsForm?: boolean;
    /**
     * Query parameters a list page shows as its filter form and refuses beside their field (400, the page
     * itself): one of them longer than the query cap, with nothing else wrong, is left to the page, whose verb
     * bounds it far lower and says so beside the field, instead of the address page naming nothing. A control
     * character in one is refused as in any address.
     */
    queryFields?: readonly string[];
  }
  interface FastifyRequest {
    /** The fields whose control characters the text check dropped or that it cut (reshowsForm routes only). */
    formTextRefusal?: ServiceError;
  }
}

/** Said beside a field whose control characters were dropped from the entry shown again. */
export const CONTROL_DROPPED =
  "held a control character (such as a tab or a line break, often pasted with the text): it is taken out of the entry above; check it and send the form again";

/**
 * Said beside a field whose percent-encoding was not UTF-8 (page-form-body.ts): bytes no browser sends, so
 * the person did not type them, but the rest of the entry is theirs and is shown again.
 */
export const NOT_TEXT_DROPPED =
  "held bytes that are not text (not UTF-8, which a browser never sends; an edited page or a tool can): they are taken out of the entry above; check it and send the form again";

/**
 * Said beside a field that held a lone surrogate (half of a UTF-16 pair, refused by the API as not valid
 * Unicode text). No form body carries one (page-form-body.ts takes undecodable bytes out first), but a body
 * parsed another way can (JSON's "\ud800"); no keyboard types one, so a tool or an edited page sent it.
 */
export const NOT_UNICODE_DROPPED =
  "held half of a character (a lone surrogate, which is not valid Unicode text and which no keyboard types; an edited page or a tool can send one): it is taken out of the entry above; check it and send the form again";

/** What follows what a field held, beside a field whose characters were taken out. */
const TAKEN_OUT = "it is taken out of the entry above; check it and send the form again";

/**
 * Said beside a field whose only refused characters were text-direction controls (U+202A–U+202E,
 * U+2066–U+2069), in the words the API uses (src/kernel/clean-text.ts): until 2026-12-07 they were "a control
 * character (such as a tab or a line break)", which a person who pasted a right-to-left name could not find.
 */
export function directionControlDropped(value: string): string | undefined {
  const direction = textDirectionControlIn(value);
  return direction === undefined ? undefined : `held ${direction}: ${TAKEN_OUT}`;
}

/** Whether `message` is what the text check says beside a field it cleaned or cut (any of the above). */
export function isTextCheckWords(message: string): boolean {
  return (
    message === CONTROL_DROPPED ||
    message === CUT_TO_BOUND ||
    message === NOT_TEXT_DROPPED ||
    message === NOT_UNICODE_DROPPED ||
    /^held a text-direction control/.test(message)
  );
}

/** Said beside a field cut to the bound from the entry shown again (no form field of ours takes as much). */
export const CUT_TO_BOUND = `was longer than ${MAX_BODY_TEXT.toLocaleString("en")} characters: only its first ${MAX_BODY_TEXT.toLocaleString("en")} are kept in the entry above; check it and send the form again`;

/** What both answers to a damaged hidden field say first. */
const DAMAGED =
  "The form arrived damaged: a part of it that is not shown held a control character or too much text, as an edited page or a browser extension can cause. Nothing was done;";

/**
 * Said above a form drawn again because a field it does not show (a token, an id, the form's one-time key)
 * held a control character or too much text: the person typed nothing there, so naming the field, or
 * saying "the entry above", would only puzzle them. An edited page or a browser extension does this.
 */
export const HIDDEN_FIELD_DAMAGED = `${DAMAGED} check the form and send it again.`;

/** The error page's words for the same on a form that does not show itself again (a button's form). */
const FORM_DAMAGED = `${DAMAGED} go back, reload the page and send it again.`;

/**
 * The words for a text-check refusal of a field the form does not show (HIDDEN_FIELD_DAMAGED), or undefined
 * for any other issue: the pages' mappers of refusals to fields use it for the fields they do not show.
 */
export function hiddenFieldText(issue: { message: string }): string | undefined {
  return isTextCheckWords(issue.message) ? HIDDEN_FIELD_DAMAGED : undefined;
}

/** Tabs and line breaks become a space (they stood between words), other control characters go. */
const SPACE_LIKE = /\r\n|[\t\n\v\f\r\u0085\u2028\u2029]/g;
/** In a line field, a line break (CRLF or LF, as browsers send a textarea's) stays; other spacing as above. */
const LINE_SPACE_LIKE = /\r\n|\n|[\t\v\f\r\u0085\u2028\u2029]/g;
// Control characters, text-direction controls and lone surrogates: with the u flag a surrogate pair is one
// character (an emoji, kept), so \uD800-\uDFFF matches only a surrogate without its partner.
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is this regex's job.
const DROPPED = /[\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069\uD800-\uDFFF]/gu;
// As DROPPED, less the LF and CR of the line breaks a line field keeps (a lone CR is a space by then).
const DROPPED_IN_LINES =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is this regex's job.
  /[\u0000-\u0009\u000B\u000C\u000E-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069\uD800-\uDFFF]/gu;
/** A surrogate without its partner (see DROPPED). */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/**
 * Throws the VALIDATION error naming each field whose control characters the text check dropped, if any:
 * the first statement of the try block of a `reshowsForm` route, so its catch shows the form again with
 * the (cleaned) entry and the message beside each field, and no verb runs.
 */
export function refuseFormText(request: FastifyRequest): void {
  if (request.formTextRefusal) throw request.formTextRefusal;
}

/**
 * Password fields are only bounded. A password is hashed and compared, never stored as text, shown or sent
 * on, so a control character in it harms nothing; and passwords set before pages were checked (or through
 * `tokenbill staff create --password`) may hold a tab, and must keep logging in.
 */
const PASSWORD_FIELDS = new Set(["password", "current_password", "new_password", "new_password_again"]);

/**
 * Said for a bad query value or path parameter. A link from anywhere can carry those, and pages echo nothing
 * from the URL (docs/security.md), so the answer names no part of it.
 */
const BAD_ADDRESS =
  "This page's address holds something it cannot take: a control character (such as a tab or a line break) or a value longer than 1,000 characters.";

/**
 * Makes the text check the last preHandler of every route registered on `pages` from now on. The order is
 * deliberate: the session gate (an onRequest hook, src/http/access.ts) has already redirected an anonymous
 * GET to its login page or refused an anonymous POST with 401, and a POST's own preHandler, the CSRF check,
 * has already refused a forged or stale form with 403. So a request that was refused before is refused as
 * before: a form's 400 names its field only to whoever sent a form this site gave them, and a query's names
 * nothing (BAD_ADDRESS).
 * Its error goes to the pages' error handler (register-web.ts), which renders the 400 as a page.
 */
export function installPageTextCheck(pages: FastifyInstance): void {
  pages.addHook("onRoute", (route) => {
    const own = route.preHandler === undefined ? [] : [route.preHandler].flat();
    // Once a route, should the same options be registered again.
    if (!own.includes(checkPageText)) route.preHandler = [...own, checkPageText];
  });
}

const checkPageText: preHandlerHookHandler = (request, _reply, done) => {
  try {
    checkAddress(request);
    if (request.routeOptions.config.reshowsForm) reshowableRefusals(request);
    else if (request.undecodedFormFields) throw new ServiceError("VALIDATION", FORM_DAMAGED);
    checkForm(request);
  } catch (error) {
    done(error as Error);
    return;
  }
  done();
};

/**
 * A form that does not show itself again is a button whose fields are all hidden (ids, a token; the CSRF
 * token is checked before): what the check refuses there was not typed by the person, so the page names
 * no field and says the form was damaged (FORM_DAMAGED).
 */
function checkForm(request: FastifyRequest): void {
  try {
    assertCleanText(formToCheck(request), undefined, MAX_BODY_TEXT);
  } catch (error) {
    if (isServiceError(error) && !request.routeOptions.config.reshowsForm)
      throw new ServiceError("VALIDATION", FORM_DAMAGED);
    throw error;
  }
}

function checkAddress(request: FastifyRequest): void {
  try {
    assertCleanText(request.params, "path", MAX_QUERY_TEXT);
    const { long, rest } = longQueryFields(request);
    assertCleanText(rest, "query", MAX_QUERY_TEXT);
    // Bounded by the URL's own limit (16 KiB of request line); the page's verb refuses them by their bound.
    assertCleanText(long, "query", Number.MAX_SAFE_INTEGER);
  } catch (error) {
    if (isServiceError(error)) throw new ServiceError("VALIDATION", BAD_ADDRESS);
    throw error;
  }
}

/** The query split into the route's queryFields over the cap (strings only) and everything else. */
function longQueryFields(request: FastifyRequest): { long: Record<string, string>; rest: unknown } {
  const query = request.query;
  const fields = request.routeOptions.config.queryFields ?? [];
  if (fields.length === 0 || typeof query !== "object" || query === null) return { long: {}, rest: query };
  const long: Record<string, string> = {};
  const rest: Record<string, unknown> = Object.create(null);
  for (const [name, value] of Object.entries(query)) {
    if (fields.includes(name) && typeof value === "string" && value.length > MAX_QUERY_TEXT)
      long[name] = value;
    else rest[name] = value;
  }
  return { long, rest };
}

/**
 * The body as the check sees it: password fields bounded here and left out, line breaks of the route's line
 * fields blanked (same length, so the bound still counts them). A form field names only itself in the
 * message: the body came with this site's CSRF token, so from this site's own form.
 */
function formToCheck(request: FastifyRequest): unknown {
  const body = request.body;
  if (typeof body !== "object" || body === null || Array.isArray(body)) return body;
  const lines = request.routeOptions.config.lineFields ?? [];
  // No prototype: a field named __proto__ stays a field.
  const checked: Record<string, unknown> = Object.create(null);
  for (const [name, value] of Object.entries(body)) {
    if (PASSWORD_FIELDS.has(name) && typeof value === "string") {
      if (value.length > MAX_BODY_TEXT)
        throw ServiceError.validation(name, `must be at most ${MAX_BODY_TEXT} characters`);
      continue;
    }
    checked[name] =
      lines.includes(name) && typeof value === "string"
        ? value.replace(/\r?\n/g, (lineBreak) => " ".repeat(lineBreak.length))
        : value;
  }
  return checked;
}

/**
 * A reshowsForm route's fields without their control characters and cut to the bound, each such field named
 * in request.formTextRefusal; a line field keeps its line breaks. What is left is checked as every form is.
 * A password field over the bound is cut without a word: every password verb's own bound (200) is far
 * smaller and refuses it in its own words, and no stored password is that long, so the cut one matches none.
 */
function reshowableRefusals(request: FastifyRequest): void {
  const body = request.body;
  if (typeof body !== "object" || body === null || Array.isArray(body)) return;
  const lines = request.routeOptions.config.lineFields ?? [];
  const fields = body as Record<string, unknown>;
  // Fields that were not UTF-8 are named first; their entry is already without those bytes.
  const undecoded = request.undecodedFormFields ?? [];
  const issues: { field: string; message: string }[] = undecoded.map((field) => ({
    field,
    message: NOT_TEXT_DROPPED,
  }));
  for (const [name, value] of Object.entries(fields)) {
    if (typeof value !== "string") continue;
    if (PASSWORD_FIELDS.has(name)) {
      fields[name] = cutToBound(value);
      continue;
    }
    const cleaned = lines.includes(name)
      ? value
          .replace(LINE_SPACE_LIKE, (space) => (space === "\r\n" || space === "\n" ? space : " "))
          .replace(DROPPED_IN_LINES, "")
      : value.replace(SPACE_LIKE, " ").replace(DROPPED, "");
    const cut = cutToBound(cleaned);
    if (cut === value) continue;
    fields[name] = cut;
    if (undecoded.includes(name)) continue;
    issues.push({
      field: name,
      message: cleaned !== value ? droppedWords(value, lines.includes(name)) : CUT_TO_BOUND,
    });
  }
  if (issues.length > 0) request.formTextRefusal = ServiceError.invalid(issues);
}

/**
 * What is said of a field the check took characters out of: a lone surrogate as such, whatever else it took
 * (no person typed that entry, so its words say how it came); text-direction controls by name when they were
 * all it took out; anything else (a tab, a NUL, an escape) as a control character.
 */
function droppedWords(value: string, lineField: boolean): string {
  if (LONE_SURROGATE.test(value)) return NOT_UNICODE_DROPPED;
  const rest = value.replace(/[\u202A-\u202E\u2066-\u2069]/g, "");
  const other = lineField ? OTHER_THAN_LINES : ANY_OTHER;
  return (!other.test(rest) && directionControlDropped(value)) || CONTROL_DROPPED;
}
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is this regex's job.
const ANY_OTHER = /[\u0000-\u001F\u007F-\u009F\u2028\u2029]/;
/** As ANY_OTHER, less a line field's line breaks (LF, or CR before LF). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is this regex's job.
const OTHER_THAN_LINES = /[\u0000-\u0009\u000B\u000C\u000E-\u001F\u007F-\u009F\u2028\u2029]|\r(?!\n)/;

/** The text's first MAX_BODY_TEXT UTF-16 units (as the bound counts), never half of a surrogate pair. */
function cutToBound(text: string): string {
  if (text.length <= MAX_BODY_TEXT) return text;
  const end = /[\uD800-\uDBFF]/.test(text.charAt(MAX_BODY_TEXT - 1)) ? MAX_BODY_TEXT - 1 : MAX_BODY_TEXT;
  return text.slice(0, end);
}
