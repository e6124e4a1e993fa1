import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger } from "./logger.ts";

// The logger masks credentials by field name and by form, but an error is written by pino's serializer: its
// message, its stack, its causes and every property it carries, none of them fields the masking walked. An
// error that quotes a URL (Node's "Invalid URL" keeps the whole URL in `input`; a client library's message
// names the address it failed on) put the password or token in that URL into the log.

const M = "SECRETMARKER";

function memoryLogger() {
  let text = "";
  const stream = new Writable({
    write(chunk, _encoding, done) {
      text += String(chunk);
      done();
    },
  });
  return { logger: createLogger({ LOG_LEVEL: "trace" }, stream), text: () => text };
}

function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (error) {
    return error as Error;
  }
  throw new Error("did not throw");
}

describe("an error logged as `err`", () => {
  it("keeps no credential of a URL it quotes: in its input, message, stack, causes or properties", () => {
    const { logger, text } = memoryLogger();
    const invalid = thrown(() => new URL(`postgres://billing:pw#${M}1@db.example.test:5432/billing`));
    const quoting = new Error(`could not reach https://hook:${M}2@hooks.example.test/in?token=${M}3`);
    const caused = new Error("delivery failed", {
      cause: new Error(`POST https://hooks.example.test/in?signature=${M}4: ECONNREFUSED`),
    });
    const aggregate = new AggregateError(
      [new Error(`connect to postgres://billing:${M}5@db.example.test/billing failed`)],
      "all attempts failed",
    );
    const carrying = Object.assign(new Error("request failed"), {
      url: `https://api.example.test/v1?api_key=${M}6`,
      config: { headers: { Authorization: `Bearer ${M}7` }, password: `${M}8` },
      token: `${M}9`,
    });
    for (const err of [invalid, quoting, caused, aggregate, carrying]) logger.error({ err }, "it failed");
    const out = text();
    expect(out).not.toContain(M);
    // Still the errors, as written: their types, messages and where the URLs pointed.
    for (const kept of [
      "TypeError",
      "ERR_INVALID_URL",
      "could not reach",
      "hooks.example.test",
      "all attempts",
    ])
      expect(out).toContain(kept);
  });

  it("and a text field that quotes such a URL keeps none either", () => {
    const { logger, text } = memoryLogger();
    logger.warn({ error: `webhook https://hooks.example.test/in?token=${M}a answered 500` }, "job failed");
    logger.warn({ detail: `GET https://admin:${M}b@solusio.example.test/api/v1/account` }, "not confirmed");
    logger.info({ listening: "http://127.0.0.1:8080" }, "started");
    const out = text();
    expect(out).not.toContain(M);
    expect(out).toContain("solusio.example.test/api/v1/account");
    expect(out).toContain('"listening":"http://127.0.0.1:8080"');
  });
});
