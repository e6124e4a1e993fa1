import { describe, expect, it } from "vitest";
import { CredentialFailureLog } from "./credential-failure-log.ts";

// The failed-credentials log's own rules, on a clock the test moves: a line at once for an address's first
// failure, then at most one a minute with the count, and a bounded number of lines a minute in all.

function harness(options: { linesPerMinute?: number; maxAddresses?: number } = {}) {
  let now = 1_000_000;
  const lines: { fields: Record<string, unknown>; msg: string }[] = [];
  const log = new CredentialFailureLog(
    { warn: (fields: Record<string, unknown>, msg: string) => void lines.push({ fields, msg }) } as never,
    { clock: () => now, timer: false, ...options },
  );
  const advance = (ms: number) => {
    now += ms;
  };
  return { log, lines, advance };
}

const failure = (address: string, reason: "wrong key" | "missing key" = "wrong key") => ({
  route: "GET /api/v1/customers",
  address,
  reason,
});

describe("the failed-credentials log", () => {
  it("logs an address's first failure at once, and a flood from it as one line a minute with the count", () => {
    const { log, lines, advance } = harness();
    log.record(failure("192.0.2.7"));
    expect(lines).toEqual([
      {
        fields: { route: "GET /api/v1/customers", address: "192.0.2.7", reason: "wrong key", count: 1 },
        msg: "failed credentials",
      },
    ]);
    for (let i = 0; i < 999; i++) log.record(failure("192.0.2.7", i % 2 ? "wrong key" : "missing key"));
    expect(lines).toHaveLength(1);
    advance(30_000);
    log.sweep();
    expect(lines).toHaveLength(1);
    advance(30_000);
    log.sweep();
    expect(lines).toHaveLength(2);
    expect(lines[1]!.fields).toMatchObject({
      address: "192.0.2.7",
      count: 999,
      reasons: { "missing key": 500, "wrong key": 499 },
    });
    expect(lines[1]!.msg).toBe("failed credentials, 999 times");
    // A quiet minute later the address is forgotten, and its next failure is a line at once again.
    advance(60_000);
    log.sweep();
    log.record(failure("192.0.2.7"));
    expect(lines).toHaveLength(3);
  });

  it("counts an IPv6 /64 as one address", () => {
    const { log, lines } = harness();
    for (let i = 1; i <= 50; i++) log.record(failure(`2001:db8:1:2::${i.toString(16)}`));
    expect(lines).toHaveLength(1);
    expect(lines[0]!.fields).toMatchObject({
      address: "2001:db8:1:2::1",
      address_group: "2001:db8:1:2::/64",
    });
  });

  it("writes at most its lines a minute in all, the rest as one line with their count", () => {
    const { log, lines, advance } = harness({ linesPerMinute: 5 });
    for (let i = 0; i < 200; i++) log.record(failure(`198.51.100.${i}`));
    expect(lines).toHaveLength(5);
    advance(60_000);
    log.sweep();
    expect(lines).toHaveLength(6);
    expect(lines[5]!.fields).toEqual({ count: 195, addresses: 195 });
  });

  it("holds a bounded number of addresses, the oldest's count going to the unlogged line", () => {
    const { log, lines, advance } = harness({ maxAddresses: 3 });
    for (const address of ["203.0.113.1", "203.0.113.2", "203.0.113.3"]) {
      log.record(failure(address));
      log.record(failure(address));
    }
    log.record(failure("203.0.113.4"));
    expect(lines).toHaveLength(4);
    advance(60_000);
    log.sweep();
    // 203.0.113.1 went for 203.0.113.4: its second failure is in the unlogged line; the others' are their own.
    expect(lines.filter((l) => "addresses" in l.fields).map((l) => l.fields)).toEqual([
      { count: 1, addresses: 1 },
    ]);
    expect(lines.filter((l) => l.fields["count"] === 1 && "route" in l.fields)).toHaveLength(6);
  });

  it("counts each address once in the unlogged line, however many minutes or times it was left out", () => {
    // Until 2026-12-06 the line counted address-minutes: one address left out in two minutes was "2 addresses".
    const { log, lines, advance } = harness({ linesPerMinute: 1 });
    log.record(failure("192.0.2.1")); // the minute's one line
    advance(50_000);
    log.record(failure("192.0.2.2")); // left out
    advance(11_000);
    log.record(failure("192.0.2.1")); // a new minute's one line
    advance(50_000);
    log.record(failure("192.0.2.2")); // its next minute, left out again
    advance(60_000);
    log.sweep();
    expect(lines.filter((l) => "addresses" in l.fields).map((l) => l.fields)).toEqual([
      { count: 2, addresses: 1 },
    ]);
  });

  it("counts an address dropped at the cap twice as one address", () => {
    const { log, lines, advance } = harness({ maxAddresses: 2 });
    const twice = (address: string) => {
      log.record(failure(address));
      log.record(failure(address));
    };
    twice("203.0.113.1");
    twice("203.0.113.2");
    log.record(failure("203.0.113.3")); // .1 goes, its second failure unlogged
    twice("203.0.113.1"); // .2 goes, its second failure unlogged
    log.record(failure("203.0.113.4")); // .3 goes (nothing unlogged)
    log.record(failure("203.0.113.5")); // .1 goes again, its second failure unlogged
    advance(60_000);
    log.sweep();
    expect(lines.filter((l) => "addresses" in l.fields).map((l) => l.fields)).toEqual([
      { count: 3, addresses: 2 },
    ]);
  });
});
