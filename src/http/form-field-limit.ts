import { Transform } from "node:stream";
import type { FastifyInstance } from "fastify";

// A form body's fields are counted as its bytes arrive, before it is parsed. Parsing costs per field, not
// per byte: a 1 MiB form of 100,000 one-letter fields took 0.4 s of the one thread to parse and another 3 s
// to check (page-text-input.ts), against milliseconds for one field of the same size. The public login
// forms and GetTokenPricing parse a body before any credential is checked, so four such requests at once
// held every other request up, GetTokenPricing's included, for 12 s (2026-12-06). No form of tokenbill has
// more than about twenty fields (the admin API takes no forms at all), so a body with more than
// MAX_FORM_FIELDS is refused with 413, as body-parser's `parameterLimit` does, before a field is parsed.

export const MAX_FORM_FIELDS = 100;

const AMPERSAND = 0x26;
const FORM_TYPE = "application/x-www-form-urlencoded";

export const TOO_MANY_FIELDS = `a form may hold at most ${MAX_FORM_FIELDS} fields`;

/** A 413 in Fastify's manner: the API answers it in the envelope, a page as a page (register-web.ts). */
function tooManyFields(): Error {
  return Object.assign(new Error(TOO_MANY_FIELDS), {
    statusCode: 413,
    code: "TOO_MANY_FORM_FIELDS",
  });
}

/** Whether a Content-Type names a form (any parameters, any case). */
export function isForm(contentType: string | undefined): boolean {
  return contentType?.split(";")[0]?.trim().toLowerCase() === FORM_TYPE;
}

/** A root hook: every route's form body, pages and GetTokenPricing's routed path alike. */
export function installFormFieldLimit(app: FastifyInstance): void {
  // A callback hook: no promise for the requests it lets pass untouched (every one but a form's).
  app.addHook("preParsing", (request, _reply, payload, done) => {
    if (!isForm(request.headers["content-type"])) return done(null, payload);
    let separators = 0;
    const counted = new Transform({
      transform(chunk: Buffer, _encoding, next) {
        for (let at = chunk.indexOf(AMPERSAND); at !== -1; at = chunk.indexOf(AMPERSAND, at + 1))
          if (++separators >= MAX_FORM_FIELDS) return next(tooManyFields());
        next(null, chunk);
      },
    });
    // Fastify listens for the stream's error only until the body ends one way or another: a body over the
    // route's own limit ends it first, and the count's error after that had no listener and ended the process.
    counted.on("error", () => {});
    payload.on("error", (error) => counted.destroy(error));
    done(null, payload.pipe(counted));
  });
}

/**
 * Whether a form's text holds more than MAX_FORM_FIELDS fields: for GetTokenPricing's fast path, which
 * answers in front of Fastify's hooks and must refuse what its routed path refuses.
 */
export function hasTooManyFields(text: string): boolean {
  let separators = 0;
  for (let at = text.indexOf("&"); at !== -1; at = text.indexOf("&", at + 1))
    if (++separators >= MAX_FORM_FIELDS) return true;
  return false;
}
