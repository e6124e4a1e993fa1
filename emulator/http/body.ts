import type { FastifyInstance, FastifyRequest } from "fastify";

// Request bodies as SolusIO's clients send them. JSON whatever the label (Guzzle and Go both send JSON, and
// `curl -d '{...}'` labels it a form); a real form as a flat object; an empty or blank body as {}. JSON goes
// through Fastify's own parser (secure-json-parse: a `__proto__` key is refused); the size limit is the
// app's bodyLimit.

type Done = (err: Error | null, body?: unknown) => void;

function looksJson(text: string): boolean {
  return text.startsWith("{") || text.startsWith("[");
}

function isForm(request: FastifyRequest): boolean {
  return (request.headers["content-type"] ?? "").includes("application/x-www-form-urlencoded");
}

export function acceptBodies(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser("error", "error");
  const parse = (request: FastifyRequest, raw: string, done: Done): void => {
    const text = raw.trim();
    if (text === "") done(null, {});
    else if (isForm(request) && !looksJson(text)) done(null, Object.fromEntries(new URLSearchParams(text)));
    else parseJson(request, text, done);
  };
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("application/json", { parseAs: "string" }, parse);
  // Any other label (or none) is read the same way.
  app.addContentTypeParser("*", { parseAs: "string" }, parse);
}
