// The result of one delivery attempt, as the queue and direct messaging read it.

export type Outcome =
  | { ok: true; status?: number }
  | {
      ok: false;
      error: string;
      /** Worth another try later (network, 429, 5xx). */
      retry: boolean;
      /** The target no longer exists (Web Push 404/410, APNs Unregistered): remove it. */
      gone?: boolean;
      status?: number;
      /** The service asked for this much patience. */
      retryAfterMs?: number;
    };

export const sent = (status?: number): Outcome => ({ ok: true, ...(status ? { status } : {}) });
export const failed = (
  error: string,
  retry: boolean,
  extra: { gone?: boolean; status?: number; retryAfterMs?: number } = {},
): Outcome => ({
  ok: false,
  error,
  retry,
  ...extra,
});
