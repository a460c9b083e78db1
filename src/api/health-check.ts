// One dependency's readiness, as GET /ready reports it (the store, the cluster adapter). Its own
// module without imports, so the parts that provide checks depend on nothing of the API.

export interface HealthCheck {
  name: string;
  /** Resolves when healthy; rejects with the reason otherwise. */
  check(): Promise<void>;
}
