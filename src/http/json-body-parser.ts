import type { FastifyInstance } from "fastify";
import { ServiceError } from "../kernel/errors.ts";
import { scanJsonBody, withNumbersAsWritten } from "./json-body-issues.ts";

/** Refuses bytes that are not UTF-8 instead of reading them as U+FFFD. */
const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Fastify's JSON parser, except that an empty body is no body (undefined) rather than a 400 "Body cannot be
 * empty": clients send `Content-Type: application/json` with a DELETE or a body-less POST (sso-link, server
 * polls), which `requireJsonBody` lets through. A route that needs a body still refuses the missing one
 * through its schema, in the project's envelope. Bad JSON is refused exactly as Fastify's own parser does.
 *
 * JSON is UTF-8 (RFC 8259): a body that is not (a client's Latin-1 "é") is a 400 naming the body. Read as a
 * string, its bytes became U+FFFD and were stored as such, answered 201 (until 2026-12-05).
 *
 * Valid JSON is then read again for what JSON.parse passes over (json-body-issues.ts): a repeated key and a
 * `__proto__` key are refused (Fastify's parser refused the last as "not valid JSON"; it is told ("ignore")
 * to leave it here, where the 400 names the key), and a number written with a fraction or an exponent
 * reaches the schemas as its text.
 */
export function installJsonBodyParser(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser("ignore", "ignore");
  app.addContentTypeParser("application/json", { parseAs: "buffer" }, (request, body, done) => {
    if (body.length === 0) {
      done(null, undefined);
      return;
    }
    let text: string;
    try {
      // parseAs "buffer" gives a Buffer; the type of the shared parser signature also allows a string.
      text = typeof body === "string" ? body : utf8.decode(body);
    } catch {
      done(ServiceError.validation("(body)", "must be UTF-8 text (JSON is UTF-8)"));
      return;
    }
    parseJson(request, text, (error, value) => {
      if (error) {
        done(error);
        return;
      }
      // Fastify's parser passes over a byte-order mark; so does the second reading.
      const { issues, numbers } = scanJsonBody(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
      if (issues.length > 0) done(ServiceError.invalid(issues));
      else done(null, withNumbersAsWritten(value, numbers));
    });
  });
}
