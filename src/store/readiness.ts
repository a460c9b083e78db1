// The store's readiness check: a ping, and any call that found the store unavailable shortly before.
// A ping alone passes between failures when connections are being killed under the server (the
// pool reconnects for it), while the requests around it answer 503: not ready is the truth then.
import type { HealthCheck } from '../api/health-check.ts';
import type { Stores } from './stores.ts';

/** How long a failed store call keeps /ready at 503. */
const RECENT_MS = 1000;

export class StoreReadiness {
  private last?: { at: number; err: Error };

  /** Called with every StoreUnavailableError a store call gave. */
  failed = (err: Error): void => {
    this.last = { at: Date.now(), err };
  };

  check(store: Pick<Stores, 'ping'>): HealthCheck {
    return {
      name: 'store',
      check: async () => {
        const last = this.last;
        if (last && Date.now() - last.at < RECENT_MS) throw last.err;
        await store.ping();
      },
    };
  }
}
