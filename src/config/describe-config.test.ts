import { describe, expect, it } from "vitest";
import { parseConfig, publicUrl } from "../config.ts";

describe("publicUrl", () => {
  it("writes an IPv6 HOST in brackets, so the URL SolusIO and the links are given can be opened", () => {
    const url = publicUrl(parseConfig({ HOST: "::1", PORT: "9000" }));
    expect(url).toBe("http://[::1]:9000");
    expect(new URL(url).port).toBe("9000");
    expect(publicUrl(parseConfig({ HOST: "10.0.0.5" }))).toBe("http://10.0.0.5:8080");
    expect(publicUrl(parseConfig({ HOST: "billing.example" }))).toBe("http://billing.example:8080");
  });

  it("takes TOKENBILL_PUBLIC_URL as given when set", () => {
    const config = parseConfig({ HOST: "::1", TOKENBILL_PUBLIC_URL: "https://billing.example/tb" });
    expect(publicUrl(config)).toBe("https://billing.example/tb");
  });
});
