// Persisted triggers over the HTTP API: how many events/s Pushi accepts with `persist: true`, and
// whether every accepted one is in the database. The rows are counted while the server still runs
// (a 200 must mean committed, not "will be flushed at shutdown"), through a second, read-only
// SQLite connection.
import Database from 'better-sqlite3';
import { Publisher, makePayload, nowMs } from '../harness/lib/pusher.mjs';
import { cpuMs, startServer } from './server-proc.mjs';

/** Triggers `events` persisted events (10 channels, 100 B each) with `concurrency` in flight. */
export async function runPersist(target, { creds, events, concurrency }) {
  const res = { scenario: 'persist', target: target.name, params: { events, concurrency, payload: 100, channels: 10 } };
  let server = null;
  try {
    server = await startServer(target);
    const pub = new Publisher({
      host: '127.0.0.1',
      port: target.port,
      appId: creds.id,
      key: creds.key,
      secret: creds.secret,
      maxSockets: concurrency,
    });
    const accepted = new Set();
    let next = 0;
    const cpu0 = cpuMs(server.pid);
    const gen0 = process.cpuUsage();
    const t0 = nowMs();
    const worker = async () => {
      while (next < events) {
        const k = next++;
        const body = JSON.stringify({
          name: 'persisted',
          channels: [`bench-persist-${k % 10}`],
          data: makePayload(k, 100),
          persist: true,
        });
        const status = await pub._post(`/apps/${creds.id}/events`, body);
        if (status === 200) accepted.add(k);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    const ms = nowMs() - t0;
    const cpu = cpuMs(server.pid) - cpu0;
    const gen = process.cpuUsage(gen0);
    pub.close();
    // Count what is committed now, while the server runs.
    const db = new Database(target.env.PUSHI_DB, { readonly: true, fileMustExist: true });
    const stored = new Set();
    for (const row of db.prepare('SELECT data FROM events WHERE app_id = ?').iterate(creds.id)) {
      const m = /~S(\d+)~/.exec(row.data);
      if (m) stored.add(Number(m[1]));
    }
    db.close();
    let missing = 0;
    for (const k of accepted) if (!stored.has(k)) missing++;
    Object.assign(res, {
      accepted: accepted.size,
      httpFailed: pub.failed,
      httpStatus: pub.statusCounts,
      lastError: pub.lastError,
      ms: Math.round(ms),
      acceptedPerSec: Math.round((accepted.size / ms) * 1000),
      stored: stored.size,
      missing,
      durable: missing === 0 && accepted.size === events,
      serverCpuUsPerEvent: accepted.size ? Math.round((cpu * 1000) / accepted.size) : null,
      // The load generator shares the machine's cores with the server: its cost is part of the limit.
      generatorCpuUsPerEvent: accepted.size ? Math.round((gen.user + gen.system) / accepted.size) : null,
    });
  } catch (e) {
    res.error = String(e?.stack ?? e);
  } finally {
    await server?.stop();
  }
  const r = res;
  console.error(
    r.error
      ? `[persist] ${r.target}: ERROR ${r.error}`
      : `[persist] ${r.target}: accepted ${r.accepted}/${events} in ${r.ms} ms = ${r.acceptedPerSec}/s, stored ${r.stored}, missing ${r.missing}, server CPU ${r.serverCpuUsPerEvent} us/event, generator CPU ${r.generatorCpuUsPerEvent} us/event${r.httpFailed ? `, HTTP failed ${r.httpFailed} (${r.lastError})` : ''}`,
  );
  return res;
}
