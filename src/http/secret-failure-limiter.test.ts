import { describe, expect, it } from "vitest";
import { SecretFailureLimiter } from "./secret-failure-limiter.ts";

// Wrong secrets counted per address: a blocked address is refused even with the right secret (else a block
// would be a guessing oracle), and what the limiter holds must not grow without bound under a scan from
// rotating or spoofed addresses (until 2026-12 a block was forgotten only when its address came back).

const fails = async (limiter: SecretFailureLimiter, client: string, times: number) => {
  for (let i = 0; i < times; i++) await limiter.recordFailure(client);
};
const refused = (limiter: SecretFailureLimiter, client: string) => {
  try {
    limiter.assertAllowed(client);
    return false;
  } catch {
    return true;
  }
};

describe("SecretFailureLimiter", () => {
  it("forgets blocked addresses once their minute is over, though they never come back", async () => {
    let now = 1_000_000;
    const limiter = new SecretFailureLimiter(2, () => now);
    for (let i = 0; i < 5000; i++) await fails(limiter, `pricing-token:10.${i >> 8}.${i & 255}.1`, 2);
    expect(limiter.blocking).toBe(true);
    expect(limiter.size).toBe(5000);
    now += 60_000;
    await limiter.recordFailure("pricing-token:192.0.2.1");
    now += 1_000;
    expect(limiter.blocking).toBe(false);
    expect(limiter.size).toBeLessThanOrEqual(1);
  });

  it("holds at most its cap of addresses, however many fail within a minute", async () => {
    const now = 1_000_000;
    const limiter = new SecretFailureLimiter(5, () => now, { maxEntries: 100 });
    for (let i = 0; i < 1000; i++) await limiter.recordFailure(`admin-key:10.0.${i >> 8}.${i & 255}`);
    expect(limiter.size).toBeLessThanOrEqual(100);
  });

  it("counts IPv6 addresses by their /64, and refuses the right secret from a blocked one", async () => {
    const now = 1_000_000;
    const limiter = new SecretFailureLimiter(3, () => now);
    await limiter.recordFailure("pricing-token:2001:db8:1:2::a");
    await limiter.recordFailure("pricing-token:2001:0db8:0001:0002:0:0:0:b");
    await limiter.recordFailure("pricing-token:2001:db8:1:2:ffff:ffff:ffff:ffff");
    expect(refused(limiter, "pricing-token:2001:db8:1:2::1")).toBe(true);
    expect(refused(limiter, "pricing-token:2001:db8:1:3::1")).toBe(false);
    // The kind of secret still counts apart: the admin API is not blocked by pricing-token failures.
    expect(refused(limiter, "admin-key:2001:db8:1:2::1")).toBe(false);
    await expect(limiter.guard("pricing-token:2001:db8:1:2::1", () => "right secret")).rejects.toThrow(
      /too many failed attempts/,
    );
  });

  it("keeps IPv4 addresses apart, an IPv4-mapped IPv6 address as its IPv4 one", async () => {
    const now = 1_000_000;
    const limiter = new SecretFailureLimiter(2, () => now);
    await fails(limiter, "sso-link:::ffff:198.51.100.7", 2);
    expect(refused(limiter, "sso-link:198.51.100.7")).toBe(true);
    expect(refused(limiter, "sso-link:198.51.100.8")).toBe(false);
  });
});
