// Counters and histograms for the per-request and per-message paths. prom-client's inc() and
// observe() validate and hash the label set on every call (several µs each, measured on the
// trigger route); these keep one plain record per label set, found by a Map lookup (or kept by
// the caller), and give prom-client its export shape only when /metrics is scraped.
import type { Metric, Registry } from 'prom-client';

type Labels = Record<string, string>;

abstract class Tally<S extends { labels: Labels }> {
  protected readonly series = new Map<string, S>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly string[],
    registers: Registry[],
  ) {
    // The registry reads name, help, type, get() and reset(): the Metric contract, not its classes.
    for (const r of registers) r.registerMetric(this as unknown as Metric);
  }

  /** The record for these label values (in labelNames order), made on first use. */
  protected seriesFor(values: string[], make: (labels: Labels) => S): S {
    const key = values.join('\u0000');
    let s = this.series.get(key);
    if (!s) {
      const labels: Labels = {};
      this.labelNames.forEach((n, i) => (labels[n] = values[i]));
      this.series.set(key, (s = make(labels)));
    }
    return s;
  }

  abstract reset(): void;
}

interface CounterSeries {
  labels: Labels;
  value: number;
  child: { inc(n?: number): void; dec(n?: number): void };
}

function counterSeries(labels: Labels): CounterSeries {
  const s: CounterSeries = {
    labels,
    value: 0,
    child: { inc: (n = 1) => void (s.value += n), dec: (n = 1) => void (s.value -= n) },
  };
  return s;
}

export class TallyCounter extends Tally<CounterSeries> {
  readonly type: 'counter' | 'gauge' = 'counter';
  readonly aggregator = 'sum';

  /** The series for these label values; keep it where the labels are fixed (one addition a call). */
  labels(...values: string[]): { inc(n?: number): void } {
    return this.seriesFor(values, counterSeries).child;
  }

  async get() {
    const values = [...this.series.values()].map((s) => ({ labels: s.labels, value: s.value }));
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    for (const s of this.series.values()) s.value = 0; // children handed out keep counting
  }
}

/**
 * A counter kept by its owner (the hub counts messages per app as it goes): read when scraped, so
 * the counted path makes no call at all. reset() leaves it alone: the owner's count only grows.
 */
export class SampledCounter {
  readonly type = 'counter';
  readonly aggregator = 'sum';

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelName: string,
    /** Label value → current total. */
    private readonly read: () => Iterable<[string, number]>,
    registers: Registry[],
  ) {
    for (const r of registers) r.registerMetric(this as unknown as Metric);
  }

  async get() {
    const values = [...this.read()].map(([label, value]) => ({ labels: { [this.labelName]: label }, value }));
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {}
}

/** A gauge moved by inc/dec (open connections, subscriptions): a counter that may go down. */
export class TallyGauge extends TallyCounter {
  override readonly type = 'gauge';

  override labels(...values: string[]): { inc(n?: number): void; dec(n?: number): void } {
    return this.seriesFor(values, counterSeries).child;
  }
}

interface HistogramSeries {
  labels: Labels;
  /** Observations per bucket (not cumulative); the last slot is above every bound. */
  counts: number[];
  sum: number;
  child: { observe(v: number): void };
}

export class TallyHistogram extends Tally<HistogramSeries> {
  readonly type = 'histogram';
  readonly aggregator = 'sum';

  constructor(
    name: string,
    help: string,
    labelNames: readonly string[],
    private readonly buckets: readonly number[],
    registers: Registry[],
  ) {
    super(name, help, labelNames, registers);
  }

  /** The series for these label values: its observe() is a bucket scan and two additions. */
  labels(...values: string[]): { observe(v: number): void } {
    return this.seriesFor(values, (labels) => {
      const bounds = this.buckets;
      const s: HistogramSeries = {
        labels,
        counts: new Array<number>(bounds.length + 1).fill(0),
        sum: 0,
        child: {
          observe: (v) => {
            let i = 0;
            while (i < bounds.length && v > bounds[i]) i++;
            s.counts[i]++;
            s.sum += v;
          },
        },
      };
      return s;
    }).child;
  }

  async get() {
    const values: { labels: Record<string, string | number>; value: number; metricName: string }[] = [];
    for (const s of this.series.values()) {
      let cumulative = 0;
      this.buckets.forEach((le, i) => {
        cumulative += s.counts[i];
        values.push({ labels: { le, ...s.labels }, value: cumulative, metricName: `${this.name}_bucket` });
      });
      cumulative += s.counts[this.buckets.length];
      values.push({ labels: { le: '+Inf', ...s.labels }, value: cumulative, metricName: `${this.name}_bucket` });
      values.push({ labels: s.labels, value: s.sum, metricName: `${this.name}_sum` });
      values.push({ labels: s.labels, value: cumulative, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    for (const s of this.series.values()) {
      s.counts.fill(0);
      s.sum = 0;
    }
  }
}
