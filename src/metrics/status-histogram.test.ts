import fc from "fast-check";
import { Histogram, Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { StatusHistogram } from "./status-histogram.ts";

const BOUNDS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5];

/** The same observations into prom-client's Histogram and into ours, each in a registry of its own. */
function both(observations: [number, number][]) {
  const theirs = new Registry();
  const histogram = new Histogram({
    name: "t_seconds",
    help: "h",
    labelNames: ["status"],
    buckets: BOUNDS,
    registers: [theirs],
  });
  const ours = new Registry();
  const status = new StatusHistogram("t_seconds", "h", BOUNDS, ours);
  for (const [code, seconds] of observations) {
    histogram.labels({ status: String(code) }).observe(seconds);
    status.observe(code, seconds);
  }
  return { theirs, ours, status };
}

describe("StatusHistogram", () => {
  const observation = fc.tuple(
    fc.constantFrom(200, 400, 401, 404, 429, 500),
    fc.oneof(fc.constantFrom(0, ...BOUNDS, 1, 7.5), fc.double({ min: 0, max: 2, noNaN: true })),
  );

  it("exposes exactly the text and JSON prom-client's Histogram gives for the same observations", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(observation, { maxLength: 60 }), async (observations) => {
        const { theirs, ours } = both(observations);
        expect(await ours.metrics()).toBe(await theirs.metrics());
        expect(await ours.getMetricsAsJSON()).toEqual(await theirs.getMetricsAsJSON());
      }),
      { numRuns: 300 },
    );
  });

  it("counts an answer in the first bucket whose bound it does not exceed, and in every one above", async () => {
    const { ours } = both([
      [200, 0.0001],
      [200, 0.0003],
      [200, 9],
    ]);
    const text = await ours.metrics();
    expect(text).toContain('t_seconds_bucket{le="0.0001",status="200"} 1');
    expect(text).toContain('t_seconds_bucket{le="0.00025",status="200"} 1');
    expect(text).toContain('t_seconds_bucket{le="0.0005",status="200"} 2');
    expect(text).toContain('t_seconds_bucket{le="0.5",status="200"} 2');
    expect(text).toContain('t_seconds_bucket{le="+Inf",status="200"} 3');
    expect(text).toContain('t_seconds_count{status="200"} 3');
  });

  it("is emptied by the registry's reset, as prom-client's metrics are", async () => {
    const { ours } = both([[200, 0.001]]);
    ours.resetMetrics();
    expect(await ours.metrics()).not.toContain("t_seconds_count");
  });
});
