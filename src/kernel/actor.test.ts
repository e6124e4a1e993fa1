import { describe, expect, it } from "vitest";
import { actorLabel, actors, customerScope, requireActor } from "./actor.ts";

describe("actors", () => {
  it("label every kind the way the audit log records it", () => {
    expect(
      [
        actors.adminKey("key_1", "admin"),
        actors.envKey(),
        actors.cli(),
        actors.system("scheduler"),
        actors.staff("7"),
        actors.customer(42n),
        actors.webhook("stripe"),
        actors.anonymous(),
      ].map(actorLabel),
    ).toEqual([
      "apikey:key_1",
      "env-admin-key",
      "cli",
      "system:scheduler",
      "staff:7",
      "customer:42",
      "webhook:stripe",
      "anonymous",
    ]);
  });

  it("requireActor lets the listed kinds through and refuses the others", () => {
    expect(requireActor(actors.customer(5n), "customer").customerId).toBe(5n);
    expect(() => requireActor(actors.anonymous(), "customer", "staff")).toThrow(/anonymous may not do this/);
  });

  it("customerScope: a customer is always itself; operators choose; strangers are refused", () => {
    expect(customerScope(actors.customer(5n), undefined)).toBe(5n);
    expect(customerScope(actors.customer(5n), 5n)).toBe(5n);
    expect(() => customerScope(actors.customer(5n), 6n)).toThrow(
      expect.objectContaining({ code: "NOT_FOUND" }),
    );
    expect(customerScope(actors.adminKey("k", "admin"), 6n)).toBe(6n);
    expect(customerScope(actors.cli(), undefined)).toBeUndefined();
    expect(() => customerScope(actors.anonymous(), 6n)).toThrow(
      expect.objectContaining({ code: "FORBIDDEN" }),
    );
    expect(() => customerScope(actors.webhook("stripe"), 6n)).toThrow(
      expect.objectContaining({ code: "FORBIDDEN" }),
    );
  });
});
