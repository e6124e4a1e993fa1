import { describe, expect, it } from "vitest";
import {
  ConnectionStatements,
  GENERATION_LIMIT,
  type NamingOff,
  PoolStatements,
  statementName,
} from "./named-statements.ts";

// Which statements a connection names, and what a refusal does to its pool (named-statements.ts);
// PostgreSQL's side is named-statements.db.test.ts.

const withCode = (code: string) => Object.assign(new Error(`refused (${code})`), { code });
const resultChanged = withCode("0A000");

describe("ConnectionStatements", () => {
  it("names statements that read or write rows, the same text under the same name", () => {
    const c = new ConnectionStatements();
    const first = c.prepare("select * from customer where id = $1", [1]);
    expect(first?.query.name).toMatch(/^tokenbill_[0-9a-f]{24}$/);
    expect(first?.query.name).toBe(statementName("select * from customer where id = $1"));
    expect(c.prepare("select * from customer where id = $1", [2])?.query).toEqual({
      ...first?.query,
      values: [2],
    });
    expect(new ConnectionStatements().prepare("select * from customer where id = $1", [3])?.query.name).toBe(
      first?.query.name,
    );
    for (const text of [
      "update job set status = $1",
      "insert into t values ($1)",
      "with x as (select 1) select 1",
    ])
      expect(c.prepare(text, [1])).toBeDefined();
  });

  it("leaves unnamed transaction control, bulk statements, a run's own tables and statements beyond the limit", () => {
    const c = new ConnectionStatements(new PoolStatements(), 2);
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

  it("names nothing more once the connection changed a table, but a run's own tables do not count", () => {
    const c = new ConnectionStatements();
    c.prepare("CREATE UNLOGGED TABLE billing_usage_0123abcd (seq bigint)", []);
    expect(c.prepare("select 1", [])).toBeDefined();
    c.prepare("ALTER TABLE customer ADD COLUMN x int", []);
    expect(c.prepare("select 1", [])).toBeUndefined();
    expect(c.prepare("select 2", [])).toBeUndefined();
  });
});

describe("a refused statement", () => {
  it("runs again unnamed outside a transaction; inside one (savepoints stay inside) the transaction is lost", () => {
    const c = new ConnectionStatements();
    const a = c.prepare("select * from a", [])!;
    expect(c.refusal(resultChanged, a)).toBe("retry");

    c.prepare("begin", []);
    c.prepare("savepoint s1", []);
    c.prepare("rollback to savepoint s1", []);
    const b = c.prepare("select * from b", [])!;
    expect(c.refusal(resultChanged, b)).toBe("transaction lost");
    expect(c.refusal(new Error("duplicate key"), b)).toBeUndefined();
    c.prepare("rollback", []);
    expect(c.refusal(withCode("23505"), c.prepare("select * from c", [])!)).toBeUndefined();
  });

  it("changed tables: a new generation of names for every connection of the pool, once per generation", () => {
    const pool = new PoolStatements();
    const [one, two] = [new ConnectionStatements(pool), new ConnectionStatements(pool)];
    const text = "select * from customer where id = $1";
    const onOne = one.prepare(text, [1])!;
    const onTwo = two.prepare(text, [1])!;
    expect(onOne.query.name).toBe(onTwo.query.name);

    expect(one.refusal(resultChanged, onOne)).toBe("retry");
    expect(pool.generation).toBe(1);
    // The other connection's statement of the old generation is refused too: it starts no third one.
    expect(two.refusal(resultChanged, onTwo)).toBe("retry");
    expect(pool.generation).toBe(1);

    const again = two.prepare(text, [2])!;
    expect(again.generation).toBe(1);
    expect(again.query.name).toBe(`${onOne.query.name}_1`);
    expect(one.prepare(text, [3])?.query.name).toBe(again.query.name);
    expect(pool.naming).toBe(true);
  });

  it("changed tables again and again: naming is turned off at the limit, with one notice", () => {
    const notices: NamingOff[] = [];
    const pool = new PoolStatements((off) => notices.push(off));
    const c = new ConnectionStatements(pool);
    for (let i = 0; i < GENERATION_LIMIT; i++) {
      const statement = c.prepare("select * from a", [])!;
      expect(c.refusal(resultChanged, statement)).toBe("retry");
    }
    expect(pool.naming).toBe(false);
    expect(notices).toEqual([{ reason: "tables keep changing" }]);
    expect(c.prepare("select * from a", [])).toBeUndefined();
  });

  it.each(["26000", "42P05"])(
    "%s (a pooler between us): naming off for the whole pool, one notice",
    (code) => {
      const notices: NamingOff[] = [];
      const pool = new PoolStatements((off) => notices.push(off));
      const [one, two] = [new ConnectionStatements(pool), new ConnectionStatements(pool)];
      const first = one.prepare("select 1", [])!;
      const second = two.prepare("select 2", [])!;
      expect(one.refusal(withCode(code), first)).toBe("retry");
      expect(two.refusal(withCode(code), second)).toBe("retry");
      expect(notices).toEqual([{ reason: "pooler", sqlstate: code }]);
      expect(one.prepare("select 1", [])).toBeUndefined();
      expect(two.prepare("select 3", [])).toBeUndefined();
      // Transactions are still followed while nothing is named: a refusal inside one is not retried.
      two.prepare("BEGIN", []);
      expect(two.refusal(withCode(code), second)).toBe("transaction lost");
    },
  );
});
