import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../test/helpers/test-database.ts";
import { startTestServer } from "../../test/helpers/test-server.ts";

// A load balancer probes /readyz every few seconds: the log says each change of its answer once, not each
// probe twice (its own warning and the 5xx hook's "request failed").

let handle: TestDatabase;
beforeAll(async () => {
  handle = await createTestDatabase();
});
afterAll(async () => handle?.close());

function capturedLogger() {
  const lines: { level: number; msg: string; reason?: string }[] = [];
  const logger = pino({ level: "info" }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { logger, lines };
}

describe("/readyz in the log", () => {
  it("says a state once however many probes see it, and says when it is ready again", async () => {
    const { logger, lines } = capturedLogger();
    let newer: readonly string[] | undefined;
    const server = await startTestServer(handle.db, {}, { logger, newerSchema: () => newer });
    try {
      for (let i = 0; i < 3; i++) expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
      newer = ["999-from-the-future"];
      for (let i = 0; i < 4; i++) expect((await fetch(`${server.url}/readyz`)).status).toBe(503);
      newer = undefined;
      expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    } finally {
      await server.close();
    }
    const said = lines.filter((l) => l.level >= 40 || l.msg === "ready");
    expect(said.map((l) => [l.level, l.msg])).toEqual([
      [40, "not ready: database migrated by a newer version of tokenbill"],
      [30, "ready"],
    ]);
  });

  it("warns once while the pricing index loads, and never as a failed request", async () => {
    const { logger, lines } = capturedLogger();
    const server = await startTestServer(handle.db, {}, { logger, warmPricingIndex: true });
    try {
      expect((await fetch(`${server.url}/readyz`)).status).toBe(503);
      await expect.poll(async () => (await fetch(`${server.url}/readyz`)).status).toBe(200);
    } finally {
      await server.close();
    }
    expect(lines.filter((l) => l.msg === "request failed")).toEqual([]);
    expect(lines.filter((l) => l.level >= 40).map((l) => l.msg)).toEqual([
      "not ready: pricing index loading",
    ]);
  });
});
