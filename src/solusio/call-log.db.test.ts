import { pino } from "pino";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type RunningEmulator, startEmulator } from "../../emulator/start.ts";
import { createTestDatabase } from "../../test/helpers/test-database.ts";
import type { DatabaseHandle } from "../db/open-database.ts";
import { listSolusioCalls } from "../services/sync/list-solusio-calls.ts";
import { systemContext } from "../app/database.ts";
import { parseConfig } from "../config.ts";
import { connectSolusio } from "./connect-solusio.ts";
import { customBillingIntegration } from "./solusio-api.ts";
import { actors } from "../kernel/actor.ts";

// The SolusIO call log (table solusio_call, listed by GET /api/v1/solusio/calls) records every call to
// SolusIO with its body. Real calls to the emulator carry the admin token in their Authorization header,
// a user's password and the pricing token in their bodies: none of them may be stored.

let handle: DatabaseHandle;
let emulator: RunningEmulator;

beforeAll(async () => {
  handle = await createTestDatabase();
  emulator = await startEmulator({ port: 0, logger: false });
});
afterAll(async () => {
  await emulator?.close();
  await handle?.close();
});

it("stores neither the Authorization header nor passwords and tokens of request bodies", async () => {
  const logger = pino({ level: "silent" });
  const connection = connectSolusio(handle.db, logger, {
    apiUrl: emulator.apiUrl,
    token: emulator.adminToken,
    tlsInsecure: false,
    timeoutMs: 5000,
  });
  const user = await connection.api.createUser({
    email: "ada@example.test",
    status: "active",
    billingUserId: 7,
  });
  await connection.api.patchSettings({
    billing_integration: customBillingIntegration(
      "https://billing.example.test/solusio/api?key=url-query-secret",
      "pricing-token-secret",
    ),
  });
  const loginToken = await connection.api.oneTimeLoginToken(user.id);
  await connection.close(); // flushes the recorder

  const ctx = systemContext(handle, parseConfig({}), logger, actors.system("test"));
  const calls = (await listSolusioCalls({ ctx, input: { page: 1, per_page: 50 } })).data;
  const posted = calls.find((c) => c.method === "POST" && c.path === "users");
  expect(posted?.request_body).toMatchObject({ email: "ada@example.test", password: "********" });
  const settings = calls.find((c) => c.method === "PATCH" && c.path === "settings");
  expect(settings?.request_body).toEqual({
    billing_integration: {
      type: "custom",
      drivers: {
        custom: { url: "https://billing.example.test/solusio/api?key=********", token: "********" },
      },
    },
  });
  const text = JSON.stringify(calls);
  for (const secret of [
    emulator.adminToken,
    "Bearer",
    "pricing-token-secret",
    "url-query-secret",
    loginToken,
  ])
    expect(text).not.toContain(secret);
});
