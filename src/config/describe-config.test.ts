import { describe, expect, it } from "vitest";
import { describeConfig, parseConfig, publicUrl } from "../config.ts";

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

describe("describeConfig", () => {
  const described = (raw: Record<string, unknown>) => describeConfig(parseConfig(raw));

  it("prints TRUST_PROXY as what it means, not the hop count it is held as (true printed 1)", () => {
    for (const one of ["true", "yes", "1", true])
      expect(described({ TRUST_PROXY: one })["TRUST_PROXY"], String(one)).toBe("1 proxy in front");
    expect(described({ TRUST_PROXY: "3" })["TRUST_PROXY"]).toBe("3 proxies in front");
    for (const off of [undefined, "false", "no", "0"])
      expect(described({ TRUST_PROXY: off })["TRUST_PROXY"], String(off)).toBe(false);
    expect(described({ TRUST_PROXY: "10.0.0.1, fd00::/8" })["TRUST_PROXY"]).toEqual(["10.0.0.1", "fd00::/8"]);
  });
});
