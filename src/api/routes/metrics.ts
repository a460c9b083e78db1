// GET /metrics: Prometheus text exposition of this node's registry.
import type { Metrics } from '../../metrics/metrics.ts';
import type { RouteRegistrar } from '../http-api.ts';

export function metricsRoutes(metrics: Metrics): RouteRegistrar {
  return (router) => {
    router.add('GET', '/metrics', async () => {
      const { text, contentType } = await metrics.render();
      return { text, contentType };
    });
  };
}
