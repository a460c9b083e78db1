// Rate limits count in one-second windows, so a burst's exact outcome is known only when the whole
// burst fell inside one window. Rather than accept every outcome two windows could give (which lets
// a broken limiter pass), a test runs its burst here: each try starts just after a second begins,
// and a try whose span crossed into the next second is discarded and run again.

export interface OneSecondOptions<T, S> {
  /** Runs before each try, outside the measured span (e.g. a fresh connection: a fresh window). */
  prepare?: () => Promise<S>;
  /** Undoes a discarded try (e.g. closes its connections). */
  discard?: (result: T, state: S) => Promise<void>;
  tries?: number;
}

/** Resolves at the start of the next wall-clock second (the API limiter's window boundary). */
function nextSecond(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 5));
}

/**
 * Runs `burst` until one run starts and ends within the same wall-clock second, and returns that
 * run's result. A span inside one wall-clock second is also shorter than a second, so this serves
 * windows that start at a connection's first event as well.
 */
export async function inOneSecond<T, S = undefined>(
  burst: (state: S) => Promise<T>,
  options: OneSecondOptions<T, S> = {},
): Promise<T> {
  const tries = options.tries ?? 5;
  for (let i = 0; i < tries; i++) {
    const state = (await options.prepare?.()) as S;
    await nextSecond();
    const start = Date.now();
    const result = await burst(state);
    if (Math.floor(Date.now() / 1000) === Math.floor(start / 1000)) return result;
    await options.discard?.(result, state);
  }
  throw new Error(`no run of the burst fitted in one second in ${tries} tries (machine too busy?)`);
}
