import type { FastifyInstance } from "fastify";
import { isForm } from "../http/form-field-limit.ts";

// The console's and the portal's pages take what their forms send, application/x-www-form-urlencoded, and
// nothing else. Fastify parses JSON and plain text for any route, so until 2026-12-06 a page took a JSON
// body too, and a public one (the login forms) parsed it before its CSRF token was checked: 900 KB of JSON
// holding 60,000 keys cost 2.9 s of the one thread, or 2.4 s nested 400,000 levels deep. A page's body of
// another type is refused with 415 before it is read.
//
// Nor does a page take a megabyte: a form field is bounded to 10,000 characters (page-text-input.ts), yet a
// public form of 1 MiB, one field of 330,000 percent-encoded letters, cost 1.5 s to parse and refuse (until
// 2026-12-06). PAGE_BODY_LIMIT_BYTES holds a field at its bound in any script (up to 12 bytes a character
// percent-encoded) and the rest of any form of ours; a larger body is a 413 page, as over
// HTTP_BODY_LIMIT_BYTES (the lower of the two holds).

export const PAGE_BODY_LIMIT_BYTES = 128 * 1024;

export function installPageBodyType(pages: FastifyInstance): void {
  pages.addHook("onRoute", (route) => {
    route.bodyLimit = Math.min(
      route.bodyLimit ?? pages.initialConfig.bodyLimit ?? PAGE_BODY_LIMIT_BYTES,
      PAGE_BODY_LIMIT_BYTES,
    );
  });
  pages.addHook("preParsing", (request, _reply, payload, done) => {
    const type = request.headers["content-type"];
    if (request.method === "GET" || request.method === "HEAD" || type === undefined || isForm(type))
      return done(null, payload);
    done(
      Object.assign(new Error("a page takes a form (application/x-www-form-urlencoded)"), {
        statusCode: 415,
        code: "PAGE_TAKES_FORMS",
      }),
    );
  });
}
