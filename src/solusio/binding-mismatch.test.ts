import { describe, expect, it } from "vitest";
import { bindingMismatch, type SolusioBinding } from "./solusio-binding.ts";

// What the refusal says when a database meets a SolusIO it does not belong to.

const bound = (kind: "sandbox" | "solusio", identity: string) =>
  ({ kind, api_url: "http://127.0.0.1:18090/api/v1", identity }) as SolusioBinding;
const found = (kind: "sandbox" | "solusio", identity: string) => ({
  kind,
  apiUrl: "http://127.0.0.1:18090/api/v1",
  identity,
});

describe("bindingMismatch", () => {
  it("says nothing for the SolusIO the database belongs to", () => {
    expect(
      bindingMismatch(bound("solusio", "first-user:1:a"), found("solusio", "first-user:1:a")),
    ).toBeUndefined();
  });

  it("names the kinds when one installation is reached as the other kind, not the same URL and identity twice", () => {
    // The sandbox's emulator given as SOLUSIO_URL to a second instance: until 2026-12-06 "belongs to the sandbox
    // emulator at X (identity I), but this process talks to SolusIO at X (identity I)".
    const asReal = bindingMismatch(bound("sandbox", "first-user:1:a"), found("solusio", "first-user:1:a"));
    expect(asReal).toBe(
      "this database belongs to the sandbox emulator at http://127.0.0.1:18090/api/v1, which this process " +
        "reaches as a real SolusIO (SOLUSIO_URL): a sandbox database is not a real SolusIO's, nor the other way " +
        "round. Billing, user sync and the scheduler refuse to work against another SolusIO. Configure the right " +
        "SOLUSIO_URL, or, if the change is deliberate, run `tokenbill solusio bind --force`.",
    );
    const asSandbox = bindingMismatch(bound("solusio", "first-user:1:a"), found("sandbox", "first-user:1:a"));
    expect(asSandbox).toContain("reaches as the sandbox emulator (the sandbox, SOLUSIO_URL unset)");
  });

  it("names both identities when they differ", () => {
    expect(bindingMismatch(bound("solusio", "first-user:1:a"), found("solusio", "first-user:1:b"))).toContain(
      "(identity first-user:1:a), but this process talks to SolusIO at http://127.0.0.1:18090/api/v1 (identity first-user:1:b)",
    );
  });
});
