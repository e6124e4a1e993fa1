import type { FastifyInstance } from "fastify";

/**
 * Fastify's JSON parser, except that an empty body is no body (undefined) rather than a 400 "Body cannot be
 * empty": clients send `Content-Type: application/json` with a DELETE or a body-less POST (sso-link, server
 * polls), which `requireJsonBody` lets through. A route that needs a body still refuses the missing one
 * through its schema, in the project's envelope. Anything else, bad JSON and `__proto__` keys included, is
 * parsed and refused exactly as Fastify's own parser does.
 */
export function installJsonBodyParser(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser("error", "error");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (request, body, done) => {
    if (body.length === 0) {
      done(null, undefined);
      return;
    }
    // parseAs "string" gives a string; the type of the shared parser signature also allows a Buffer.
    parseJson(request, body.toString(), done);
  });
}
