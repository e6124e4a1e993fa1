import { describe, expect, it } from "vitest";
import type { UsageIps, UsageRecord } from "../../domain/usage-record.ts";
import { usageOf } from "../testing/billing-fixtures.ts";
import { recomputeUsage } from "./recompute-usage.ts";

// The IP line as tokenbill recomputes it (billing-rules §2.2: each IP capped on its own), beside SolusIO's
// figure: exact when each IP's hours are known, checkable when the IP-hours split evenly, else left as reported.

/** A server on 7/5000 all October whose IPs cost 1 token an IP-hour, capped at 500 a month for each IP. */
function record(additionalIps: UsageIps): UsageRecord {
  const server = usageOf({
    billingUserId: 1n,
    tph: 7,
    tpm: 5000,
    createdAt: "2026-10-01T00:00:00Z",
    deletedAt: null,
    ips: { count: 1, tph: 1, tpm: 500 },
  });
  return { ...server, additionalIps };
}

describe("recomputeUsage, the additional IPs (billing-rules §2.2)", () => {
  it("caps each IP on its own when each IP's hours are known: 10 h + 744 h → 10 + 500 tokens", () => {
    const { usage, anomalies } = recomputeUsage(
      record({
        count: 2n,
        hours: 754n,
        tokens: 510n,
        charge: "monthly_cap",
        perIp: [
          { hours: 10n, tokens: 10n },
          { hours: 744n, tokens: 500n },
        ],
      }),
    );
    expect(usage.recomputedIpTokens).toBe(510n);
    expect(anomalies).toEqual([]);
  });

  it("checks IP-hours that split evenly between the IPs: 2 IPs, 1,488 IP-hours → 2 × 500 tokens", () => {
    const { usage, anomalies } = recomputeUsage(
      record({ count: 2n, hours: 1488n, tokens: 1200n, charge: "monthly_cap" }),
    );
    expect(usage.recomputedIpTokens).toBe(1000n);
    expect(usage.ipTokens).toBe(1200n);
    expect(anomalies.map((a) => a.kind)).toEqual(["token_mismatch"]);
  });

  it("leaves SolusIO's figure unchecked when the IP-hours do not split evenly", () => {
    const { usage, anomalies } = recomputeUsage(
      record({ count: 3n, hours: 100n, tokens: 999n, charge: "hourly" }),
    );
    expect(usage.recomputedIpTokens).toBe(999n);
    expect(anomalies).toEqual([]);
  });

  it("recomputes no IP tokens for a server without additional IPs", () => {
    const { usage } = recomputeUsage(record({ count: 0n, hours: 0n, tokens: 0n, charge: "free" }));
    expect(usage.recomputedIpTokens).toBe(0n);
  });
});
