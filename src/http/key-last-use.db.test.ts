import { describe, expect, it } from "vitest";
import { serverPerFile } from "../../test/helpers/server-per-file.ts";

// A key's last use is its last request let through, not its last request: a key probing what its role refuses
// (403, from the access layer or from the verb) must not look like a key in use (until 2026-12-07 it did).

const file = serverPerFile();

async function newKey(role: "billing" | "support"): Promise<{ id: string; key: string }> {
  const created = await file.server.api("POST", "/api/v1/api-keys", { name: `last use ${role}`, role });
  expect(created.status).toBe(201);
  return { id: created.body.data.id, key: created.body.data.key };
}

async function send(key: string, method: string, path: string, body?: unknown): Promise<number> {
  const response = await fetch(file.server.url + path, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  await response.body?.cancel();
  return response.status;
}

async function lastUsed(id: string): Promise<Date | null> {
  const row = await file.handle.db
    .selectFrom("api_key")
    .select("last_used_at")
    .where("id", "=", id)
    .executeTakeFirstOrThrow();
  return row.last_used_at;
}

describe("a key's last use", () => {
  it("is not recorded for a request its role refuses in the access layer (a support key's write)", async () => {
    const { id, key } = await newKey("support");
    expect(await send(key, "POST", "/api/v1/currencies", { code: "NOK", exponent: 2 })).toBe(403);
    expect(await lastUsed(id)).toBeNull();
  });

  it("is not recorded for a request the verb refuses for its role (a billing key's pricing write)", async () => {
    const { id, key } = await newKey("billing");
    expect(
      await send(key, "POST", "/api/v1/currencies", { code: "NOK", exponent: 2, token_unit_cost: "0.01" }),
    ).toBe(403);
    expect(await lastUsed(id)).toBeNull();
  });

  it("is recorded for a request let through, by the time its answer arrives", async () => {
    const { id, key } = await newKey("support");
    expect(await send(key, "GET", "/api/v1/currencies")).toBe(200);
    expect(await lastUsed(id)).not.toBeNull();
  });
});
