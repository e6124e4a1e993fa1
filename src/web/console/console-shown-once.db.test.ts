import { AliasNode, type KyselyPlugin, type OperationNode, type RootOperationNode, TableNode } from "kysely";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../../../test/helpers/test-database.ts";
import { startTestServer, type TestServer } from "../../../test/helpers/test-server.ts";
import { systemContext } from "../../app/database.ts";
import { parseConfig } from "../../config.ts";
import type { DatabaseHandle } from "../../db/open-database.ts";
import { actors } from "../../kernel/actor.ts";
import { createStaffUser } from "../../services/staff/staff-users.ts";
import { ConsoleClient, textOf } from "./customer-test-client.ts";

// A secret shown once (src/web/shown-once.ts) is cleared only by the page that shows it: when drawing that
// page fails (here its list read, failed once on purpose), the error page leaves the secret in its cookie and
// a reload shows it, once. Until 2026-12-05 the failed page cleared it and the key or password was lost.

const PASSWORD = "console shown once password";
let handle: DatabaseHandle;
let server: TestServer;
let owner: ConsoleClient;

/** The next list read (a page of rows: a LIMIT) of this table fails, once. */
let failNextListOf: string | undefined;

function listsTable(node: RootOperationNode, table: string): boolean {
  if (node.kind !== "SelectQueryNode" || node.limit === undefined) return false;
  const named = (from: OperationNode): string | undefined => {
    if (TableNode.is(from)) return from.table.identifier.name;
    if (AliasNode.is(from)) return named(from.node);
    return undefined;
  };
  return (node.from?.froms ?? []).some((from) => named(from) === table);
}

const failingOnce: KyselyPlugin = {
  transformQuery: ({ node }) => {
    if (failNextListOf !== undefined && listsTable(node, failNextListOf)) {
      failNextListOf = undefined;
      throw new Error(`the test failed this read on purpose`);
    }
    return node;
  },
  transformResult: async ({ result }) => result,
};

beforeAll(async () => {
  handle = await createTestDatabase();
  server = await startTestServer(handle.db.withPlugin(failingOnce));
  const ctx = systemContext(
    handle,
    parseConfig({ LOG_LEVEL: "silent" }),
    pino({ level: "silent" }),
    actors.cli(),
  );
  await createStaffUser({ ctx, input: { email: "owner@example.com", role: "owner", password: PASSWORD } });
  owner = await ConsoleClient.logIn(server.url, "owner@example.com", PASSWORD);
}, 60_000);
afterAll(async () => {
  await server?.close();
  await handle?.close();
});

describe("a secret shown once, when the page that shows it fails", () => {
  it("keeps a new API key for the reload after a failed list, then shows it no more", async () => {
    const posted = await owner.submit("/console/api-keys", "/console/api-keys", { name: "deploy" });
    expect(posted).toMatchObject({ status: 303, location: "/console/api-keys" });
    failNextListOf = "api_key";
    const failed = await owner.get("/console/api-keys");
    expect(failed.status).toBe(500);
    expect(failNextListOf).toBeUndefined(); // the list read is what failed
    expect(failed.headers.getSetCookie().filter((c) => c.startsWith("tb_once_api_key="))).toEqual([]);
    const shown = await owner.get("/console/api-keys");
    expect(shown.status).toBe(200);
    expect(textOf(shown.text, "new-key")).toMatch(/^tbk_[0-9a-f]{12}_/);
    // The page that showed it cleared it.
    expect(owner.cookies.has("tb_once_api_key")).toBe(false);
    expect(textOf((await owner.get("/console/api-keys")).text, "new-key")).toBeUndefined();
  });

  it("keeps a new staff user's generated password for the reload after a failed settings page", async () => {
    const posted = await owner.submit("/console/settings", "/console/settings/staff", {
      email: "new@example.com",
      name: "New",
      role: "support",
    });
    expect(posted).toMatchObject({ status: 303, location: "/console/settings" });
    failNextListOf = "staff_user";
    const failed = await owner.get("/console/settings");
    expect(failed.status).toBe(500);
    expect(failNextListOf).toBeUndefined();
    expect(failed.headers.getSetCookie().filter((c) => c.startsWith("tb_once_staff="))).toEqual([]);
    const shown = await owner.get("/console/settings");
    expect(shown.status).toBe(200);
    expect(textOf(shown.text, "new-password")).toMatch(/\S{12,}/);
    expect(textOf((await owner.get("/console/settings")).text, "new-password")).toBeUndefined();
  });
});
