import { describe, expect, it } from "vitest";
import { PgliteSessionQueue } from "../../src/db/pglite-socket-session.ts";

// The turns on PGlite's one session, without a database: who goes next, and who keeps the session.

describe("PgliteSessionQueue", () => {
  it("keeps the session with an owner mid-transaction, letting only its turns in, then serves in arrival order", async () => {
    const session = new PgliteSessionQueue();
    const order: string[] = [];
    const turn = (owner: "serve" | number, label: string, keep: boolean) =>
      session.take(owner, async () => {
        order.push(label);
        return keep;
      });
    await turn(1, "1: BEGIN", true);
    expect(session.holder).toBe(1);
    const waiting = [turn("serve", "serve: SELECT", false), turn(2, "2: SELECT", false)];
    await turn(1, "1: INSERT", true);
    await turn(1, "1: COMMIT", false);
    await Promise.all(waiting);
    expect(order).toEqual(["1: BEGIN", "1: INSERT", "1: COMMIT", "serve: SELECT", "2: SELECT"]);
    expect(session.holder).toBeUndefined();
  });

  it("gives an idle session at once, and queues everyone behind it until released", async () => {
    const session = new PgliteSessionQueue();
    const release = session.takeIfIdle();
    expect(release).toBeDefined();
    expect(session.takeIfIdle()).toBeUndefined();
    let ran = false;
    const queued = session.take(3, async () => {
      ran = true;
      return false;
    });
    await Promise.resolve();
    expect(ran).toBe(false);
    release!();
    await queued;
    expect(ran).toBe(true);
  });

  it("refuses a departed owner's waiting turns and keeps the session with an owner whose turn failed", async () => {
    const session = new PgliteSessionQueue();
    await session.take(4, async () => true);
    const stranded = session.take(5, async () => false);
    session.drop(5, new Error("the connection closed"));
    await expect(stranded).rejects.toThrow("the connection closed");
    await expect(
      session.take(4, async () => {
        throw new Error("wasm trap");
      }),
    ).rejects.toThrow("wasm trap");
    expect(session.holder).toBe(4);
    await session.take(4, async () => false);
    expect(session.holder).toBeUndefined();
  });
});
