// /metrics under `pushi serve --workers N`: a scrape lands on one worker, so that worker asks the
// primary, which gathers every worker's registry (prom-client's AggregatorRegistry: counters and
// gauges summed, process metrics as prom-client aggregates them) and answers with the whole process.
import cluster from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';

const ASK = 'pushi:metrics';
const ANSWER = 'pushi:metrics-answer';
const WAIT_MS = 5000;

interface Ask {
  type: typeof ASK;
  id: number;
}
interface Answer {
  type: typeof ANSWER;
  id: number;
  text?: string;
  error?: string;
}

/** In a worker: answer the primary's gathering with this registry (`beforeGathering` runs first). */
export function shareWithPrimary(registry: Registry, beforeGathering: () => void): void {
  new AggregatorRegistry(); // its constructor installs the worker's answering listener
  AggregatorRegistry.setRegistries([registry]);
  // The primary asks every worker through prom-client's own message: each worker's default metrics
  // must exist before prom-client's listener (installed above) reads the registry.
  process.prependListener('message', (m) => {
    if ((m as { type?: string } | null)?.type === 'prom-client:getMetricsReq') beforeGathering();
  });
}

/** In the primary: gathers the workers' metrics whenever one of them is scraped. */
export function gatherForWorkers(): void {
  const aggregator = new AggregatorRegistry();
  cluster.on('message', (worker, m: Ask) => {
    if (m?.type !== ASK) return;
    aggregator.clusterMetrics().then(
      (text) => worker.send({ type: ANSWER, id: m.id, text } satisfies Answer),
      (err: Error) => worker.send({ type: ANSWER, id: m.id, error: err.message } satisfies Answer),
    );
  });
}

let asked = 0;

/** In a worker: the whole process's metrics, from the primary. */
export function metricsFromPrimary(): Promise<string> {
  const id = ++asked;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish({ type: ANSWER, id, error: 'the primary did not answer' }), WAIT_MS);
    const onMessage = (m: Answer) => {
      if (m?.type === ANSWER && m.id === id) finish(m);
    };
    const finish = (m: Answer) => {
      clearTimeout(timer);
      process.off('message', onMessage);
      if (m.text !== undefined) resolve(m.text);
      else reject(new Error(`metrics of the other workers: ${m.error}`));
    };
    process.on('message', onMessage);
    process.send?.({ type: ASK, id } satisfies Ask);
  });
}

export const underWorkers = (): boolean => cluster.isWorker;
