import { Writable } from "node:stream";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createTestDatabase } from "../../test/helpers/test-database.ts";
import { parseConfig } from "../config.ts";
import type { DatabaseHandle } from "../db/open-database.ts";
import { createLogger } from "../logger.ts";
import { buildServer } from "./server.ts";

// The real server with the production logger at `trace`, writing into memory. A request carries an admin
// key, a cookie, an x-api-key, a query token and a password in its body; a hook logs the whole request the
// way a debugging line would. None of the secrets may reach the output, while the rest of the request does
// (so the test sees the request was logged at all).

const ADMIN_KEY = "admin-key-that-must-never-be-logged";
const SECRETS = [
  ADMIN_KEY,
  "cookie-secret-value",
  "x-api-key-secret",
  "query-token-secret",
  "body-pw-secret",
];

let handle: DatabaseHandle;
let output = "";
let url: string;
let close: () => Promise<void>;

beforeAll(async () => {
  handle = await createTestDatabase();
  const config = parseConfig({ TOKENBILL_ADMIN_API_KEY: ADMIN_KEY, PORT: 0, LOG_LEVEL: "trace" });
  const memory = new Writable({
    write(chunk, _encoding, done) {
      output += String(chunk);
      done();
    },
  });
  const app = await buildServer({ config, db: handle.db, logger: createLogger(config, memory) });
  app.addHook("preHandler", async (request) => {
    const { method, url: requestUrl, headers, body } = request;
    request.log.trace({ req: { method, url: requestUrl, headers }, body }, "request received");
    request.log.debug({ headers, query: request.query }, "request headers");
    request.log.trace({ req: request, res: request.raw }, "request object");
  });
  await app.listen({ host: "127.0.0.1", port: 0 });
  const address = app.server.address();
  url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  close = () => app.close();
});
afterAll(async () => {
  await close?.();
  await handle?.close();
});

it("logs a request at trace level without its Authorization header or any other secret", async () => {
  const response = await fetch(`${url}/api/v1/currencies?token=query-token-secret`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${ADMIN_KEY}`,
      cookie: "session=cookie-secret-value",
      "x-api-key": "x-api-key-secret",
      "x-request-id": "probe-request-1",
      "user-agent": "probe-agent/1.0",
      "content-type": "application/json",
    },
    body: JSON.stringify({ code: "GBP", token_unit_cost: "0.0008", password: "body-pw-secret" }),
  });
  expect(response.status).toBeLessThan(500);
  await response.arrayBuffer();
  // What the request showed besides its secrets is there: the hook's lines were written.
  for (const visible of [
    "probe-request-1",
    "probe-agent/1.0",
    '"code":"GBP"',
    "request received",
    "request headers",
  ])
    expect(output).toContain(visible);
  for (const secret of SECRETS) expect(output).not.toContain(secret);
});
