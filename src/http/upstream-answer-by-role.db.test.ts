import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SolusioHarness, startSolusioHarness } from "../../test/helpers/solusio-harness.ts";
import type { ApiKeyRole } from "../db/schema.ts";
import { errorAnswerText } from "./errors.ts";

// The admin API's 503 for an outside system's failure, by the key's role, as the console's error page words it
// (upstreamWords, docs/security.md): below admin how the call failed, never where SolusIO is; an admin key reads
// the message. Until 2026-12-07 a billing key's POST /api/v1/billing-runs was answered "SolusIO: GET users:
// connect ECONNREFUSED 127.0.0.1:9" while the doctor told the same key only "no answer from SolusIO".

let h: SolusioHarness;
const keys = new Map<ApiKeyRole, string>();
/** SolusIO's host and port, refused once the emulator is closed. */
let where = "";

beforeAll(async () => {
  h = await startSolusioHarness();
  for (const role of ["admin", "billing", "support"] as const) {
    const created = await h.server.api("POST", "/api/v1/api-keys", { name: `${role} key`, role });
    expect([created.status, created.body.data.role]).toEqual([201, role]);
    keys.set(role, created.body.data.key);
  }
  where = new URL(h.emulator.apiUrl).host;
  await h.emulator.close();
}, 60_000);
afterAll(async () => h?.close());

async function send(role: ApiKeyRole, method: string, path: string, body?: unknown) {
  const response = await fetch(h.server.url + path, {
    method,
    headers: {
      authorization: `Bearer ${keys.get(role)}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return {
    status: response.status,
    retryAfter: response.headers.get("retry-after"),
    text,
    body: JSON.parse(text),
  };
}

const LATER = "try again in a few minutes; if it keeps happening, an admin can read why in tokenbill's log";
const port = () => where.split(":")[1]!;

describe("the admin API's 503 with SolusIO refusing connections", () => {
  it("tells a billing key how the call failed, not where SolusIO is", async () => {
    const answer = await send("billing", "POST", "/api/v1/billing-runs", { period: "2026-10" });
    expect([answer.status, answer.body.error.code, answer.retryAfter]).toEqual([
      503,
      "UPSTREAM_UNAVAILABLE",
      "5",
    ]);
    expect(answer.body.error.message).toBe(`no answer from SolusIO (ECONNREFUSED); ${LATER}`);
    expect(answer.text).not.toContain(port());
    expect(answer.text).not.toContain("127.0.0.1");
  }, 30_000);

  it("tells a support key the same: a refused SolusIO's own error as the API would answer it", async () => {
    // No route a support key may call lets SolusIO's failure through (the doctor words its own lines; every
    // route that calls SolusIO otherwise writes, refused 403 before it runs): the answer's text is checked.
    const refused = await h.connection.api.client.getJson("users").then(
      () => expect.unreachable("the closed emulator answered"),
      (error: unknown) => error,
    );
    expect((refused as Error).message).toContain(where);
    const { status, body } = errorAnswerText(refused, "req_support", "support");
    expect(status).toBe(503);
    expect(JSON.parse(body).error.message).toBe(`no answer from SolusIO (ECONNREFUSED); ${LATER}`);
    expect(body).not.toContain(port());
    const doctor = await send("support", "GET", "/api/v1/solusio/doctor");
    expect(doctor.status).toBe(200);
    expect(doctor.text).not.toContain(port());
  }, 30_000);

  it("shows an admin key SolusIO's message, where it is included", async () => {
    const answer = await send("admin", "POST", "/api/v1/billing-runs", { period: "2026-10" });
    expect([answer.status, answer.body.error.code]).toEqual([503, "UPSTREAM_UNAVAILABLE"]);
    expect(answer.body.error.message).toBe(`SolusIO: GET users: connect ECONNREFUSED ${where}`);
  }, 30_000);
});
