import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import { startTestServer, TEST_ADMIN_KEY, type TestServer } from "../../../test/helpers/test-server.ts";
import { systemContext } from "../../app/database.ts";
import { parseConfig } from "../../config.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import { createApiKey, hashApiKey, revokeApiKey } from "../../services/api-keys/api-keys.ts";
import { actors } from "../../kernel/actor.ts";

// Admin API keys managed through the running server: created (shown once), used, listed without secret
// material, revoked — refused from the very next request — and every change in the audit log.

let handle: DatabaseHandle;
let server: TestServer;
let url: string;

beforeAll(async () => {
  handle = await createTestDatabase();
  server = await startTestServer(handle.db);
  url = server.url;
});
afterAll(async () => {
  await server?.close();
  await handle?.close();
});

async function call(method: string, path: string, key: string, body?: unknown) {
  const response = await fetch(url + path, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, text, body: text ? JSON.parse(text) : undefined };
}

describe("admin API keys over the admin API", () => {
  it("creates a key shown once, lists it without secrets, revokes it for the next request, audits both", async () => {
    const created = await call("POST", "/api/v1/api-keys", TEST_ADMIN_KEY, { name: "  deploy pipeline " });
    expect(created.status).toBe(201);
    const { id, key, prefix } = created.body.data;
    expect(created.body.data).toMatchObject({
      name: "deploy pipeline",
      // No role asked for: an admin key, what every key was before keys had roles.
      role: "admin",
      revoked_at: null,
      last_used_at: null,
    });
    expect(key).toMatch(/^tbk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    expect(key.startsWith(`${prefix}_`)).toBe(true);

    // The new key works, and its use is recorded.
    const listed = await call("GET", "/api/v1/api-keys", key);
    expect(listed.status).toBe(200);
    const entry = listed.body.data.find((k: { id: string }) => k.id === id);
    // Made with the configured key: its creator is named as the audit log names that actor.
    expect(entry).toMatchObject({
      id,
      name: "deploy pipeline",
      prefix,
      revoked_at: null,
      created_by: "env-admin-key",
    });
    // Its use is recorded as the answer is sent (not before, so that a refused request records none): the
    // first answer it gets shows no use yet, the next one shows the first.
    expect(entry.last_used_at).toBeNull();
    const again = await call("GET", "/api/v1/api-keys", key);
    expect(again.body.data.find((k: { id: string }) => k.id === id).last_used_at).not.toBeNull();
    expect(Object.keys(entry).sort()).toEqual(
      ["created_at", "created_by", "id", "last_used_at", "name", "prefix", "revoked_at", "role"].sort(),
    );
    // Neither the key, nor its secret part, nor its hash is ever listed.
    for (const secret of [key, key.slice(prefix.length + 1), hashApiKey(key)])
      expect(listed.text).not.toContain(secret);

    expect((await call("DELETE", `/api/v1/api-keys/${id}`, TEST_ADMIN_KEY)).status).toBe(204);
    const refused = await call("GET", "/api/v1/api-keys", key);
    expect(refused.status).toBe(401);
    expect(refused.body.error.code).toBe("UNAUTHORIZED");
    const after = await call("GET", "/api/v1/api-keys", TEST_ADMIN_KEY);
    expect(after.body.data.find((k: { id: string }) => k.id === id).revoked_at).not.toBeNull();

    // Revoking again succeeds and changes nothing; an unknown id is 404, one not of a key's form 400.
    expect((await call("DELETE", `/api/v1/api-keys/${id}`, TEST_ADMIN_KEY)).status).toBe(204);
    expect((await call("DELETE", "/api/v1/api-keys/key_000000000000", TEST_ADMIN_KEY)).status).toBe(404);
    const malformed = await call("DELETE", "/api/v1/api-keys/nope", TEST_ADMIN_KEY);
    expect([malformed.status, malformed.body.error.message]).toEqual([
      400,
      "path.id: must be an API key id: key_ and 1 to 64 lower-case hex digits, such as key_3f9a0c1b2d4e",
    ]);

    // Newest first, as the audit log API answers.
    const log = await call("GET", `/api/v1/audit-log?entity=api_key&entity_id=${id}`, TEST_ADMIN_KEY);
    const audit = log.body.data;
    expect(audit.map((a: { action: string; actor: string }) => [a.action, a.actor])).toEqual([
      ["api_key.revoke", "env-admin-key"],
      ["api_key.create", "env-admin-key"],
    ]);
    expect(audit[1].request_id).toMatch(/\S/);
    expect([audit[0].before.revoked_at, typeof audit[0].after.revoked_at]).toEqual([null, "string"]);
    const auditText = log.text;
    for (const secret of [key, hashApiKey(key)]) expect(auditText).not.toContain(secret);
  });

  it("lets a key revoke itself, after which it is refused", async () => {
    const { key, id } = (await call("POST", "/api/v1/api-keys", TEST_ADMIN_KEY, { name: "short-lived" })).body
      .data;
    expect((await call("DELETE", `/api/v1/api-keys/${id}`, key)).status).toBe(204);
    expect((await call("GET", "/api/v1/api-keys", key)).status).toBe(401);
  });

  it("refuses empty, over-long and control-character names", async () => {
    for (const name of ["", "   ", "x".repeat(101), "bell\u0007", "two\nlines", "bidi\u202Eoverride"]) {
      const r = await call("POST", "/api/v1/api-keys", TEST_ADMIN_KEY, { name });
      expect(r.status, JSON.stringify(name)).toBe(400);
    }
    expect((await call("POST", "/api/v1/api-keys", TEST_ADMIN_KEY, { name: "x".repeat(100) })).status).toBe(
      201,
    );
  });
});

describe("the same verbs from the CLI", () => {
  it("audit create and revoke with the CLI as actor, and validate the name the same way", async () => {
    const ctx = systemContext(handle, parseConfig({}), pino({ level: "silent" }), actors.cli());
    const key = await createApiKey({ ctx, input: { name: "from the cli" } });
    expect(await revokeApiKey({ ctx, input: { id: key.id } })).toMatchObject({ changed: true });
    expect(await revokeApiKey({ ctx, input: { id: key.id } })).toMatchObject({ changed: false });
    const audit = await handle.db
      .selectFrom("audit_log")
      .select(["action", "actor"])
      .where("entity", "=", "api_key")
      .where("entity_id", "=", key.id)
      .orderBy("id")
      .execute();
    expect(audit).toEqual([
      { action: "api_key.create", actor: "cli" },
      { action: "api_key.revoke", actor: "cli" },
    ]);
    await expect(createApiKey({ ctx, input: { name: "tab\there" } })).rejects.toMatchObject({
      code: "VALIDATION",
    });
    await expect(revokeApiKey({ ctx, input: { id: "key_unknown" } })).rejects.toMatchObject({
      code: "VALIDATION",
    });
    await expect(revokeApiKey({ ctx, input: { id: "key_0000000000ab" } })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
  });
});
