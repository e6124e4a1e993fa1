import { IncomingMessage } from "node:http";
import { Socket } from "node:net";
import { Writable } from "node:stream";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { createLogger, maskSecretFields } from "./logger.ts";

/** A logger at `trace` writing into memory, with the production options. */
function memoryLogger() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { logger: createLogger({ LOG_LEVEL: "trace" }, stream), text: () => lines.join("") };
}

describe("maskSecretFields", () => {
  it("censors secret fields at any depth, in arrays too, whatever their case", () => {
    const masked = maskSecretFields({
      a: { b: { c: { d: { e: { f: { Password: "deep-pw" } } } } } },
      list: [{ api_key: "k1" }, { nested: [{ ACCESS_TOKEN: "t1" }] }],
      headers: { Authorization: "Bearer abc", cookie: "sid=1", "x-api-key": "k2", accept: "*/*" },
    });
    const text = JSON.stringify(masked);
    for (const secret of ["deep-pw", "k1", "t1", "abc", "sid=1", "k2"]) expect(text).not.toContain(secret);
    expect(text).toContain('"accept":"*/*"');
  });

  it("censors credentials by their form and URLs by their fields, and keeps look-alike names", () => {
    const masked = maskSecretFields({
      note: "Bearer tbk_abc",
      key: "tbk_0123456789ab_secretpart",
      url: "/solusio/api?token=q-secret",
      webhook: { endpoint: "https://hooks.example.test/T0/B1/abcdef123456secret" },
      tokens_per_hour: 7,
      token_count: 3,
    }) as Record<string, unknown>;
    expect(masked).toEqual({
      note: "********",
      key: "********",
      url: "/solusio/api?token=********",
      webhook: { endpoint: "https://hooks.example.test/T0/B1/********" },
      tokens_per_hour: 7,
      token_count: 3,
    });
  });

  it("walks null-prototype records such as Fastify's parsed query", () => {
    class Empty {
      [key: string]: unknown;
    }
    Object.setPrototypeOf(Empty.prototype, null);
    const query = new Empty();
    query["token"] = "q-secret";
    expect(JSON.stringify(maskSecretFields({ query }))).toBe('{"query":{"token":"********"}}');
  });

  it("returns the very same object when nothing needs masking, and leaves errors to their serializer", () => {
    const clean = { job: "1", nested: { status: 200, list: [1, "two"] } };
    expect(maskSecretFields(clean)).toBe(clean);
    const error = new Error("boom");
    expect(maskSecretFields(error)).toBe(error);
  });
});

describe("createLogger", () => {
  it("writes no credential at trace level, and the rest of the line as it was", () => {
    const { logger, text } = memoryLogger();
    logger.trace(
      {
        req: { method: "POST", headers: { authorization: "Bearer top-secret-key", "user-agent": "probe/1" } },
        body: { email: "ada@example.test", password: "pw-in-body" },
        url: "/hook?token=query-secret",
      },
      "request in",
    );
    const out = text();
    for (const secret of ["top-secret-key", "pw-in-body", "query-secret"]) expect(out).not.toContain(secret);
    for (const kept of ["probe/1", "ada@example.test", "/hook?token=********", "request in"])
      expect(out).toContain(kept);
  });

  it("censors credential headers that a request serializer writes out", () => {
    // The serializer runs after maskSecretFields (an IncomingMessage is no plain object): pino's redaction
    // of req.headers is what keeps these out.
    const { logger, text } = memoryLogger();
    const child = logger.child({}, { serializers: { req: pino.stdSerializers.req } });
    const req = new IncomingMessage(new Socket());
    Object.assign(req, { method: "GET", url: "/api/v1/customers" });
    req.headers = { authorization: "Bearer serialized-key", cookie: "sid=serialized", host: "probe.test" };
    child.info({ req }, "raw request");
    const out = text();
    expect(out).toContain("probe.test");
    for (const secret of ["serialized-key", "sid=serialized"]) expect(out).not.toContain(secret);
  });
});
