// The one SQL path for appending events, shared by the store's own connection and the writer thread.
import type Database from 'better-sqlite3';
import type { NewEvent } from '../event-log.ts';

/** Returns a function that appends events in one IMMEDIATE transaction and gives back their seqs. */
export function prepareAppend(db: Database.Database): (events: NewEvent[]) => number[] {
  const insert = db.prepare(
    `INSERT INTO events (mid, app_id, channel, event, data, socket_id, user_id, timestamp)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  // Deliveries go to whoever is subscribed inside this transaction: later subscribers miss it.
  const deliver = db.prepare(
    `INSERT INTO deliveries (app_id, user_id, seq)
     SELECT app_id, user_id, ? FROM subscriptions WHERE app_id = ? AND channel = ?`,
  );
  const append = db.transaction((events: NewEvent[]) =>
    events.map((e) => {
      const { lastInsertRowid } = insert.run(
        e.mid,
        e.appId,
        e.channel,
        e.event,
        e.data,
        e.socketId ?? null,
        e.userId ?? null,
        e.timestamp,
      );
      const seq = Number(lastInsertRowid);
      deliver.run(seq, e.appId, e.channel);
      return seq;
    }),
  );
  return (events) => append.immediate(events);
}
