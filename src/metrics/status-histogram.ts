import type { Metric, Registry } from "prom-client";

/** One status's series: per-bucket (not cumulative) counts, the last one beyond every bound. */
interface Series {
  labels: { status: string };
  counts: number[];
  sum: number;
  count: number;
}

interface Sample {
  labels: Record<string, string | number>;
  sharedLabels: Record<string, string>;
  value: number;
  metricName: string;
  /** prom-client's buckets carry one (none here: exemplars are off); kept so the JSON is the same. */
  exemplar?: null;
}

/**
 * A Prometheus histogram labelled by HTTP status, for GetTokenPricing's answers, where observing has to be
 * cheap: a lookup by the status number, a scan of a dozen bounds and three additions. prom-client's
 * Histogram builds its labels' hash as a string and indexes its buckets by their bound's text on every
 * observe: about 3,700 instructions an answer (callgrind, 2026-12-01), 3 % of the whole answer.
 *
 * It is registered in, and exposed by, prom-client's registry, which reads it as it reads its own metrics
 * (get / getForPromString / reset); the exposition is the same text prom-client's Histogram gives for the same
 * observations (status-histogram.test.ts compares them).
 */
export class StatusHistogram {
  readonly type = "histogram";
  readonly aggregator = "sum";
  private readonly series = new Map<number, Series>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly upperBounds: readonly number[],
    registry: Registry,
  ) {
    // The registry takes any object with these members; its type lists only prom-client's own classes.
    registry.registerMetric(this as unknown as Metric);
  }

  observe(status: number, seconds: number): void {
    let series = this.series.get(status);
    if (series === undefined) {
      const counts = new Array<number>(this.upperBounds.length + 1).fill(0);
      series = { labels: { status: String(status) }, counts, sum: 0, count: 0 };
      this.series.set(status, series);
    }
    let bucket = 0;
    while (bucket < this.upperBounds.length && seconds > this.upperBounds[bucket]!) bucket++;
    series.counts[bucket]!++;
    series.sum += seconds;
    series.count++;
  }

  /** What prom-client's registry formats: the samples with the status as a shared label. */
  async getForPromString() {
    const values: Sample[] = [];
    const bucketName = `${this.name}_bucket`;
    for (const series of this.series.values()) {
      let cumulative = 0;
      this.upperBounds.forEach((le, i) => {
        cumulative += series.counts[i]!;
        values.push({
          labels: { le },
          sharedLabels: series.labels,
          value: cumulative,
          metricName: bucketName,
          exemplar: null,
        });
      });
      const shared = series.labels;
      values.push(
        {
          labels: { le: "+Inf" },
          sharedLabels: shared,
          value: series.count,
          metricName: bucketName,
          exemplar: null,
        },
        { labels: {}, sharedLabels: shared, value: series.sum, metricName: `${this.name}_sum` },
        { labels: {}, sharedLabels: shared, value: series.count, metricName: `${this.name}_count` },
      );
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  /** The same samples with every label in `labels` (prom-client's get(), used for JSON). */
  async get() {
    const data = await this.getForPromString();
    const values = data.values.map(({ labels, sharedLabels, ...rest }) => ({
      labels: { ...labels, ...sharedLabels },
      ...rest,
    }));
    return { ...data, values };
  }

  reset(): void {
    this.series.clear();
  }
}
