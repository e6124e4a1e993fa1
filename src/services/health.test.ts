import {
  type DatabaseConnection,
  type Driver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type QueryResult,
} from "kysely";
import { describe, expect, it } from "vitest";
import type { Database } from "../db/schema.ts";
import { readinessProbe } from "./health.ts";

// The readiness probe against a database the test answers for: at once, with an error, or not at all.

/** A Kysely whose every statement waits for the test to answer it (`answer`) or fail it (`fail`). */
function heldDatabase() {
  const waiting: { resolve(r: QueryResult<unknown>): void; reject(e: Error): void }[] = [];
  const connection: DatabaseConnection = {
    executeQuery: <R>() =>
      new Promise<QueryResult<R>>((resolve, reject) =>
        waiting.push({ resolve: resolve as (r: QueryResult<unknown>) => void, reject }),
      ),
    streamQuery: () => {
      throw new Error("not used");
    },
  };
  const driver: Driver = {
    init: async () => {},
    acquireConnection: async () => connection,
    beginTransaction: async () => {},
    commitTransaction: async () => {},
    rollbackTransaction: async () => {},
    releaseConnection: async () => {},
    destroy: async () => {},
  };
  const db = new Kysely<Database>({
    dialect: {
      createAdapter: () => new PostgresAdapter(),
      createDriver: () => driver,
      createIntrospector: (k) => new PostgresIntrospector(k),
      createQueryCompiler: () => new PostgresQueryCompiler(),
    },
  });
  return {
    db,
    /** Statements sent and not yet answered. */
    waiting: () => waiting.length,
    answer: () => waiting.shift()!.resolve({ rows: [{ "?column?": 1 }] }),
    fail: () => waiting.shift()!.reject(new Error("connection refused")),
  };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("readinessProbe", () => {
  it("is ready when the database answers, and not reachable when it fails", async () => {
    const held = heldDatabase();
    const probe = readinessProbe(held.db, 1_000);
    const first = probe();
    await settle();
    held.answer();
    expect(await first).toBe("ready");
    const second = probe();
    await settle();
    held.fail();
    expect(await second).toBe("database not reachable");
  });

  it("says not answering after its wait, answers the same at once while that statement is out, and asks again once it settles", async () => {
    const held = heldDatabase();
    const probe = readinessProbe(held.db, 20);
    expect(await probe()).toBe("database not answering");
    expect(held.waiting()).toBe(1);
    // No second statement beside the one still out, and no wait.
    const atOnce = await Promise.race([probe(), new Promise((r) => setTimeout(() => r("waited"), 10))]);
    expect(atOnce).toBe("database not answering");
    expect(held.waiting()).toBe(1);
    held.answer();
    await settle();
    const next = probe();
    await settle();
    expect(held.waiting()).toBe(1);
    held.answer();
    expect(await next).toBe("ready");
  });
});
