import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../test/helpers/test-database.ts";
import { startTestServer, TEST_ADMIN_KEY, type TestServer } from "../../test/helpers/test-server.ts";
import type { DatabaseHandle } from "../db/open-database.ts";

// The OpenAPI document is public (docs/security.md, "Who may call what": it holds no data). With every
// configured secret set to a value of its own, none of them, nor the admin key, appears in it.

const SECRETS = {
  SOLUSIO_PRICING_TOKEN: "pricing-token-canary-7f3a",
  SOLUSIO_API_TOKEN: "solusio-token-canary-91be",
  STRIPE_SECRET_KEY: "sk_test_canary_5c2d",
  STRIPE_WEBHOOK_SECRET: "whsec_canary_e81f",
  SMTP_HOST: "127.0.0.1",
  SMTP_PASSWORD: "smtp-password-canary-44d0",
  WEBHOOK_SECRET: "webhook-secret-canary-0b9e",
};

let handle: DatabaseHandle;
let server: TestServer;

beforeAll(async () => {
  handle = await createTestDatabase();
  server = await startTestServer(handle.db, SECRETS);
});
afterAll(async () => {
  await server?.close();
  await handle?.close();
});

describe("the public OpenAPI document", () => {
  it("holds no configured secret and not the admin key", async () => {
    const response = await fetch(`${server.url}/api/v1/openapi.json`);
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toContain('"openapi"');
    const named = { ADMIN_KEY: TEST_ADMIN_KEY, ...SECRETS } as Record<string, string>;
    delete named.SMTP_HOST;
    // A boolean per secret: a failure names the setting without printing the whole document.
    for (const [name, value] of Object.entries(named)) expect(text.includes(value), name).toBe(false);
  });
});
