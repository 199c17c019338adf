import type { Histogram, Registry } from "prom-client";

/**
 * A Prometheus histogram without labels for values observed on the send path (once per stored
 * message and once per delivery). prom-client's `Histogram.observe` checks labels, hashes them
 * and keys its buckets by the bound turned into a string, which showed in CPU profiles of the
 * send path; this one keeps counts in a typed array and gives the registry the same exposition
 * (`_bucket` per bound and `+Inf`, `_sum`, `_count`) when it is scraped.
 */
export class LatencyHistogram {
  /** The Prometheus metric type. */
  readonly type = "histogram";
  /** How prom-client's cluster support would merge it. */
  readonly aggregator = "sum";
  /** Observations per bucket (not cumulative); the last one is above every bound. */
  private readonly counts: Float64Array;
  private sum = 0;
  private count = 0;

  /**
   * @param name - the metric name
   * @param help - its help text
   * @param bounds - the buckets' upper bounds, ascending
   * @param registry - where it is registered (its name must be free there)
   */
  constructor(
    readonly name: string,
    readonly help: string,
    private readonly bounds: readonly number[],
    registry: Registry,
  ) {
    this.counts = new Float64Array(bounds.length + 1);
    // The registry only calls get(), reset() and reads name/type/aggregator.
    registry.registerMetric(this as unknown as Histogram);
  }

  /** Counts one value (a non-finite one is ignored). */
  observe(value: number): void {
    if (!Number.isFinite(value)) return;
    const { bounds } = this;
    let bucket = 0;
    while (bucket < bounds.length && value > bounds[bucket]!) bucket++;
    this.counts[bucket]! += 1;
    this.sum += value;
    this.count += 1;
  }

  /** The exposition, as prom-client's own histograms give it. */
  async get() {
    const bucketName = `${this.name}_bucket`;
    // `exemplar: null` on buckets as prom-client has it (its JSON output compares equal).
    const values: Array<{
      labels: Record<string, string | number>;
      value: number;
      metricName: string;
      exemplar?: null;
    }> = [];
    let cumulative = 0;
    for (let i = 0; i < this.bounds.length; i++) {
      cumulative += this.counts[i]!;
      values.push({
        labels: { le: this.bounds[i]! },
        value: cumulative,
        metricName: bucketName,
        exemplar: null,
      });
    }
    values.push({
      labels: { le: "+Inf" },
      value: this.count,
      metricName: bucketName,
      exemplar: null,
    });
    values.push({ labels: {}, value: this.sum, metricName: `${this.name}_sum` });
    values.push({ labels: {}, value: this.count, metricName: `${this.name}_count` });
    return {
      name: this.name,
      help: this.help,
      type: this.type,
      values,
      aggregator: this.aggregator,
    };
  }

  /** Forgets every observation. */
  reset(): void {
    this.counts.fill(0);
    this.sum = 0;
    this.count = 0;
  }
}
