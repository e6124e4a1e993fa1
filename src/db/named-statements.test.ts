import { describe, expect, it } from "vitest";
import { ConnectionStatements } from "./named-statements.ts";

// Which statements a connection names (named-statements.ts); PostgreSQL's side is named-statements.db.test.ts.

const refused = Object.assign(new Error("cached plan must not change result type"), { code: "0A000" });

describe("ConnectionStatements", () => {
  it("names statements that read or write rows, the same text under the same name", () => {
    const c = new ConnectionStatements();
    const first = c.prepare("select * from customer where id = $1", [1]);
    expect(first?.name).toMatch(/^tokenbill_[0-9a-f]{24}$/);
    expect(c.prepare("select * from customer where id = $1", [2])).toEqual({ ...first, values: [2] });
    expect(new ConnectionStatements().prepare("select * from customer where id = $1", [3])?.name).toBe(
      first?.name,
    );
    for (const text of [
      "update job set status = $1",
      "insert into t values ($1)",
      "with x as (select 1) select 1",
    ])
      expect(c.prepare(text, [1])).toBeDefined();
  });

  it("leaves unnamed transaction control, bulk statements, a run's own tables and statements beyond the limit", () => {
    const c = new ConnectionStatements(2);
    expect(c.prepare("begin", [])).toBeUndefined();
    expect(c.prepare("SET CONSTRAINTS ALL IMMEDIATE", [])).toBeUndefined();
    expect(
      c.prepare(
        "select $1",
        Array.from({ length: 101 }, (_, i) => i),
      ),
    ).toBeUndefined();
    expect(c.prepare(`select 1 where ${"true and ".repeat(1000)} true`, [])).toBeUndefined();
    expect(c.prepare("SELECT * FROM billing_usage_0123abcd WHERE customer_id > $1", [1])).toBeUndefined();
    expect(c.prepare("select 1", [])).toBeDefined();
    expect(c.prepare("select 2", [])).toBeDefined();
    expect(c.prepare("select 3", [])).toBeUndefined();
    expect(c.prepare("select 1", [])).toBeDefined();
  });

  it("a refused statement runs again unnamed outside a transaction, not inside one, and stays unnamed", () => {
    const c = new ConnectionStatements();
    expect(c.prepare("select * from a", [])).toBeDefined();
    expect(c.retryUnnamed("select * from a", refused)).toBe(true);
    expect(c.prepare("select * from a", [])).toBeUndefined();

    c.prepare("begin", []);
    c.prepare("savepoint s1", []);
    c.prepare("rollback to savepoint s1", []);
    expect(c.prepare("select * from b", [])).toBeDefined();
    expect(c.retryUnnamed("select * from b", refused)).toBe(false);
    expect(c.retryUnnamed("select * from c", new Error("duplicate key"))).toBe(false);
    c.prepare("rollback", []);
    expect(c.prepare("select * from c", [])).toBeDefined();
    expect(c.retryUnnamed("select * from c", Object.assign(new Error("gone"), { code: "26000" }))).toBe(true);
  });

  it("names nothing more once the connection changed a table, but a run's own tables do not count", () => {
    const c = new ConnectionStatements();
    c.prepare("CREATE UNLOGGED TABLE billing_usage_0123abcd (seq bigint)", []);
    expect(c.prepare("select 1", [])).toBeDefined();
    c.prepare("ALTER TABLE customer ADD COLUMN x int", []);
    expect(c.prepare("select 1", [])).toBeUndefined();
    expect(c.prepare("select 2", [])).toBeUndefined();
  });
});
