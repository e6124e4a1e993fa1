import { pino } from "pino";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import { systemContext } from "../../app/database.ts";
import { parseConfig } from "../../config.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import { actors } from "../../kernel/actor.ts";
import { createApiKey, revokeApiKey } from "./api-keys.ts";
import { missingAdminKeyAdvice } from "./bootstrap-key.ts";

// On PostgreSQL serve writes no key file: until a usable admin key exists each start says how to make one.

let handle: DatabaseHandle;
beforeAll(async () => {
  handle = await createTestDatabase();
});
afterAll(async () => handle?.close());

const ctx = (env: Record<string, string> = {}) =>
  systemContext(handle, parseConfig(env), pino({ level: "silent" }), actors.system("test"));

it("names the command until a usable key exists, and is quiet with TOKENBILL_ADMIN_API_KEY", async () => {
  expect(await missingAdminKeyAdvice(ctx())).toContain("tokenbill apikey create --name admin");
  expect(await missingAdminKeyAdvice(ctx({ TOKENBILL_ADMIN_API_KEY: "k".repeat(32) }))).toBeUndefined();
  const key = await createApiKey({ ctx: ctx(), input: { name: "admin" } });
  expect(await missingAdminKeyAdvice(ctx())).toBeUndefined();
  await revokeApiKey({ ctx: ctx(), input: { id: key.id } });
  expect(await missingAdminKeyAdvice(ctx())).toContain("tokenbill apikey create");
});
