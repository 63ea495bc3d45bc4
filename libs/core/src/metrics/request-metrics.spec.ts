import { Counter, Histogram, Registry, type RegistryContentType } from 'prom-client';
import { HTTP_LATENCY_BUCKETS } from './metrics.service';
import { RequestMetrics } from './request-metrics';

type Observation = [method: string, route: string, status: number, seconds: number];

/** prom-client's own Counter and Histogram, as the service used them, fed the same observations. */
function reference(observations: Observation[], registry: Registry<RegistryContentType> = new Registry()) {
  const labelNames = ['method', 'route', 'status'] as const;
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests by method, route pattern and status',
    labelNames,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency by method, route pattern and status',
    labelNames,
    buckets: [...HTTP_LATENCY_BUCKETS],
    registers: [registry],
  });
  for (const [method, route, status, seconds] of observations) {
    requests.labels(method, route, String(status)).inc();
    latency.labels(method, route, String(status)).observe(seconds);
  }
  return registry;
}

function ours(observations: Observation[], registry: Registry<RegistryContentType> = new Registry()) {
  const metrics = new RequestMetrics(HTTP_LATENCY_BUCKETS, registry);
  for (const o of observations) metrics.observe(...o);
  return registry;
}

describe('RequestMetrics', () => {
  const observations: Observation[] = [
    ['GET', '/v1/scopes', 200, 0.0004],
    ['GET', '/v1/scopes', 200, 0.001], // on a bound: counted in that bucket, as prom-client does
    ['GET', '/v1/scopes', 200, 0.0031],
    ['GET', '/v1/scopes', 304, 0.2],
    ['POST', '/v1/auth/login', 401, 0.18],
    ['POST', '/v1/auth/login', 200, 7.5], // above every bound: +Inf only
    ['GET', 'unmatched', 404, 0],
    ['GET', '/v1/a"quoted\\route', 200, 0.01], // label values escaped by the registry
  ];

  it('exposes the same text as prom-client’s Counter and Histogram fed the same requests', async () => {
    expect(await ours(observations).metrics()).toBe(await reference(observations).metrics());
  });

  it('exposes the same OpenMetrics text', async () => {
    const openMetrics = () => {
      const registry = new Registry<RegistryContentType>();
      registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
      return registry;
    };
    const a = ours(observations, openMetrics());
    const b = reference(observations, openMetrics());
    expect(await a.metrics()).toBe(await b.metrics());
  });

  it('counts into the right buckets (cumulative) and sums the latencies', async () => {
    const text = await ours(observations).metrics();
    expect(text).toContain('http_requests_total{method="GET",route="/v1/scopes",status="200"} 3');
    expect(text).toContain(
      'http_request_duration_seconds_bucket{le="0.001",method="GET",route="/v1/scopes",status="200"} 2',
    );
    expect(text).toContain(
      'http_request_duration_seconds_bucket{le="0.005",method="GET",route="/v1/scopes",status="200"} 3',
    );
    expect(text).toContain(
      'http_request_duration_seconds_bucket{le="5",method="POST",route="/v1/auth/login",status="200"} 0',
    );
    expect(text).toContain(
      'http_request_duration_seconds_bucket{le="+Inf",method="POST",route="/v1/auth/login",status="200"} 1',
    );
    expect(text).toContain('http_request_duration_seconds_sum{method="POST",route="/v1/auth/login",status="200"} 7.5');
  });

  it('starts again from zero on resetMetrics', async () => {
    const registry = ours(observations);
    registry.resetMetrics();
    expect(await registry.metrics()).not.toContain('http_requests_total{');
    expect(await registry.metrics()).toContain('# TYPE http_request_duration_seconds histogram');
  });
});
