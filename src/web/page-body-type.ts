import type { FastifyInstance } from "fastify";
import { isForm } from "../http/form-field-limit.ts";

// The console's and the portal's pages take what their forms send, application/x-www-form-urlencoded, and
// nothing else. Fastify parses JSON and plain text for any route, so until 2026-12-06 a page took a JSON
// body too, and a public one (the login forms) parsed it before its CSRF token was checked: 900 KB of JSON
// holding 60,000 keys cost 2.9 s of the one thread, or 2.4 s nested 400,000 levels deep. A page's body of
// another type is refused with 415 before it is read.

export function installPageBodyType(pages: FastifyInstance): void {
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
