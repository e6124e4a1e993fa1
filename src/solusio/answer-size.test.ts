import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SolusioCall } from "./call-log.ts";
import { SolusioClient } from "./solusio-client.ts";
import { SolusioError } from "./solusio-error.ts";

// An answer is held whole to be parsed, so the client reads at most maxAnswerBytes of it
// (src/solusio/solusio-client.ts): a SolusIO, or whatever answers at its address, that sends without end
// would otherwise fill the process's memory.

const MAX = 1024;
let server: Server;
let requests = 0;
let endless: { closed: boolean } = { closed: false };
let client: SolusioClient;
const calls: SolusioCall[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    requests++;
    if (req.url?.startsWith("/api/v1/declared")) {
      res.writeHead(200, { "content-type": "application/json", "content-length": String(MAX + 1) });
      res.end(`"${"x".repeat(MAX - 1)}"`);
    } else if (req.url?.startsWith("/api/v1/endless")) {
      // Chunked, with no end: only the client's giving up stops it.
      res.writeHead(200, { "content-type": "application/json" });
      const state = { closed: false };
      endless = state;
      const chunk = `"${"y".repeat(255)}`;
      const send = () => {
        if (state.closed) return;
        if (res.write(chunk)) setImmediate(send);
        else res.once("drain", send);
      };
      res.on("close", () => {
        state.closed = true;
      });
      send();
    } else {
      // Just under the limit, its multi-byte characters split across writes.
      res.writeHead(200, { "content-type": "application/json" });
      const text = JSON.stringify({ name: "é".repeat(500) });
      const bytes = Buffer.from(text);
      res.write(bytes.subarray(0, 11));
      res.end(bytes.subarray(11));
    }
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  client = new SolusioClient({
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`,
    token: "t",
    maxRetries: 2,
    backoffBaseMs: 1,
    backoffCapMs: 2,
    maxAnswerBytes: MAX,
    recorder: (c) => calls.push(c),
  });
});
afterAll(async () => {
  await client?.close();
  server?.closeAllConnections();
  server?.close();
});

describe("an answer's size", () => {
  it("reads an answer within the limit, characters split across its parts included", async () => {
    expect(await client.call("GET", "small")).toEqual({ name: "é".repeat(500) });
  });

  it.each(["declared", "endless"])(
    "refuses an answer past the limit (%s), once: the same request would bring the same answer",
    async (path) => {
      requests = 0;
      const error = await client.call("GET", path).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(SolusioError);
      expect(error).toMatchObject({
        message: `GET ${path}: SolusIO's answer is larger than ${MAX} bytes, more than tokenbill reads`,
        retryable: false,
      });
      expect(requests).toBe(1);
      expect(calls.at(-1)).toMatchObject({ path, status: 200, error: (error as Error).message });
    },
  );

  it("stops reading an endless answer: its connection is closed", async () => {
    await expect.poll(() => endless.closed).toBe(true);
  });
});
