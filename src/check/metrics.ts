// Checker results and latencies as Prometheus metrics. Each engine (one per worker thread) keeps
// its own prom-client registry; the daemon's parent merges their JSON with prom-client's
// AggregatorRegistry, which sums counters and histogram buckets across workers.
import { Counter, Histogram, Registry } from 'prom-client';

export class CheckerMetrics {
  readonly registry = new Registry();
  private readonly results = new Counter({
    name: 'keel_checker_results_total', help: 'Check attempts by checker type and result (success or failure)',
    labelNames: ['type', 'result'] as const, registers: [this.registry],
  });
  private readonly duration = new Histogram({
    name: 'keel_checker_duration_seconds', help: 'Time one check attempt took, by checker type',
    labelNames: ['type'] as const, registers: [this.registry],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  });

  result(type: string, ok: boolean): void {
    this.results.inc({ type, result: ok ? 'success' : 'failure' });
  }

  observe(type: string, seconds: number): void {
    this.duration.observe({ type }, seconds);
  }

  /** prom-client's JSON form, as AggregatorRegistry.aggregate() takes it. */
  json(): Promise<unknown[]> {
    return this.registry.getMetricsAsJSON();
  }
}
