// Liveness and readiness for load balancers and orchestrators.
import type { RouteRegistrar } from '../http-api.ts';
import { withDeadline } from '../../store/deadline.ts';

export const healthRoutes: RouteRegistrar = (router, deps) => {
  router.add('GET', '/health', () => ({ body: { status: 'ok' } }));
  // Answers within the read deadline whatever a dependency does: an orchestrator probing /ready
  // must learn "not ready", not time out. Reasons name the dependency, never its address.
  const ms = deps.config.storage.readTimeoutMs;
  router.add('GET', '/ready', async () => {
    const checks: Record<string, string> = {};
    let ready = true;
    await Promise.all(
      deps.health.map(async (h) => {
        try {
          await withDeadline(h.check(), ms, h.name);
          checks[h.name] = 'ok';
        } catch (err) {
          ready = false;
          const e = err as Error & { reply?: string };
          checks[h.name] = `down: ${e.reply ?? e.message}`;
        }
      }),
    );
    return { status: ready ? 200 : 503, body: { status: ready ? 'ok' : 'degraded', ready, checks } };
  });
};
