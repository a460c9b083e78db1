// Liveness and readiness for load balancers and orchestrators.
import type { RouteRegistrar } from '../http-api.ts';

export const healthRoutes: RouteRegistrar = (router, deps) => {
  router.add('GET', '/health', () => ({ body: { status: 'ok' } }));
  router.add('GET', '/ready', async () => {
    const checks: Record<string, string> = {};
    let ready = true;
    await Promise.all(
      deps.health.map(async (h) => {
        try {
          await h.check();
          checks[h.name] = 'ok';
        } catch (err) {
          ready = false;
          checks[h.name] = `down: ${(err as Error).message}`;
        }
      }),
    );
    return { status: ready ? 200 : 503, body: { status: ready ? 'ok' : 'degraded', ready, checks } };
  });
};
