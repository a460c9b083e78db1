// The writer thread: its own connection to the database file, appending events. A durable commit
// waits for fsync; here that wait stalls nobody (see event-writer.ts).
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { NewEvent } from '../event-log.ts';
import { prepareAppend } from './append.ts';
import type { WriterRequest, WriterReply, WriterSettings } from './event-writer.ts';

const settings = workerData as WriterSettings;
const port = parentPort!;
let db: Database.Database | undefined;
let append: ((events: NewEvent[]) => number[]) | undefined;

function errorOf(err: unknown): WriterReply['error'] {
  const e = err as { code?: unknown; message?: unknown };
  return { code: typeof e?.code === 'string' ? e.code : undefined, message: String(e?.message ?? err) };
}

port.on('message', (m: WriterRequest) => {
  if (m.close) {
    db?.close();
    port.close();
    return;
  }
  let reply: WriterReply;
  try {
    if (!db) {
      db = new Database(settings.path, { fileMustExist: true });
      db.pragma(`busy_timeout = ${settings.busyTimeoutMs}`);
      db.pragma('synchronous = FULL'); // the WAL is synced on every commit, as on the main connection
    }
    if (m.pragma) reply = { id: m.id, value: db.pragma(m.pragma, { simple: true }) };
    else if (m.ping) {
      db.exec('BEGIN IMMEDIATE');
      db.exec('ROLLBACK');
      reply = { id: m.id, seqs: [] };
    } else {
      append ??= prepareAppend(db); // prepared on first use: the schema exists by then
      reply = { id: m.id, seqs: append(m.events) };
    }
  } catch (err) {
    reply = { id: m.id, error: errorOf(err) };
  }
  port.postMessage(reply);
});
