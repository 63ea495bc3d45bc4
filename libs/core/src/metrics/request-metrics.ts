import type { Registry, RegistryContentType } from 'prom-client';

type Labels = { method: string; route: string; status: string };
/** A sample as prom-client's registry formats it (`metricName` defaults to the metric's name). */
type Sample = { value: number; labels: Record<string, string | number>; metricName?: string };
type Values = { name: string; help: string; type: 'counter' | 'histogram'; aggregator: 'sum'; values: Sample[] };

/** One (method, route, status) series: counts per bucket (not cumulative; the last is above every bound). */
interface Series {
  labels: Labels;
  counts: Float64Array;
  sum: number;
  count: number;
}

/** A metric as prom-client's registry reads it: `get` at scrape time, `reset` on `resetMetrics`. */
interface ScrapedMetric {
  name: string;
  help: string;
  type: 'counter' | 'histogram';
  aggregator: 'sum';
  get(): Promise<Values>;
  reset(): void;
}

/**
 * `http_requests_total` and `http_request_duration_seconds` from one set of plain counters: a request costs a map
 * lookup, a short bucket search and three additions. prom-client's Counter and Histogram validate and hash the label
 * values on every call, bound children included (prom-client/lib/histogram.js `observe`), which showed as the
 * largest item of ours in the profile of a public GET. The exposition is prom-client's own: the registry formats
 * what `get` returns, in the shape its Counter and Histogram return (a unit test compares the text byte for byte).
 */
export class RequestMetrics {
  private readonly series = new Map<string, Series>();

  constructor(
    private readonly buckets: readonly number[],
    registry: Registry<RegistryContentType>,
  ) {
    registry.registerMetric(this.counter() as never);
    registry.registerMetric(this.histogram() as never);
  }

  observe(method: string, route: string, status: number, seconds: number): void {
    const key = `${method} ${status} ${route}`;
    let s = this.series.get(key);
    if (!s) {
      s = {
        labels: { method, route, status: String(status) },
        counts: new Float64Array(this.buckets.length + 1),
        sum: 0,
        count: 0,
      };
      this.series.set(key, s);
    }
    let i = 0;
    while (i < this.buckets.length && seconds > this.buckets[i]) i++;
    s.counts[i]++;
    s.sum += seconds;
    s.count++;
  }

  private counter(): ScrapedMetric {
    const series = this.series;
    return {
      // The registry renames a counter for OpenMetrics (`_total` dropped here, added back to each sample), as it
      // does prom-client's own: `get` reads the name from the metric, not from a constant.
      name: 'http_requests_total',
      help: 'HTTP requests by method, route pattern and status',
      type: 'counter',
      aggregator: 'sum',
      async get() {
        const values = [...series.values()].map((s) => ({ value: s.count, labels: s.labels }));
        return { name: this.name, help: this.help, type: 'counter', aggregator: 'sum', values };
      },
      reset: () => series.clear(),
    };
  }

  private histogram(): ScrapedMetric {
    const name = 'http_request_duration_seconds';
    const help = 'HTTP request latency by method, route pattern and status';
    return {
      name,
      help,
      type: 'histogram',
      aggregator: 'sum',
      get: async () => ({ name, help, type: 'histogram', aggregator: 'sum', values: this.histogramValues(name) }),
      reset: () => this.series.clear(),
    };
  }

  private histogramValues(name: string): Sample[] {
    const values: Sample[] = [];
    for (const s of this.series.values()) {
      let acc = 0;
      this.buckets.forEach((le, i) => {
        acc += s.counts[i];
        values.push({ value: acc, labels: { le, ...s.labels }, metricName: `${name}_bucket` });
      });
      values.push({ value: s.count, labels: { le: '+Inf', ...s.labels }, metricName: `${name}_bucket` });
      values.push({ value: s.sum, labels: s.labels, metricName: `${name}_sum` });
      values.push({ value: s.count, labels: s.labels, metricName: `${name}_count` });
    }
    return values;
  }
}
