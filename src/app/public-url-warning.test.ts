import { describe, expect, it } from "vitest";
import { parseConfig } from "../config.ts";
import { publicUrlWarning } from "./public-url-warning.ts";

describe("publicUrlWarning", () => {
  it("names the address the links are built on, HOST and PORT, when TOKENBILL_PUBLIC_URL is not set", () => {
    expect(publicUrlWarning(parseConfig({ HOST: "::", PORT: 8080 }), false)).toMatch(
      /^TOKENBILL_PUBLIC_URL is not set: single sign-on and the portal's e-mailed links name http:\/\/\[::\]:8080 \(HOST and PORT\)/,
    );
  });

  it("says nothing when TOKENBILL_PUBLIC_URL is set, or for the sandbox, which names its own address", () => {
    expect(
      publicUrlWarning(parseConfig({ TOKENBILL_PUBLIC_URL: "https://billing.example.com" }), false),
    ).toBe(undefined);
    expect(publicUrlWarning(parseConfig({}), true)).toBe(undefined);
  });
});
