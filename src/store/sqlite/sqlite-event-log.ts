// The event log on SQLite: stored events, offline subscriptions, retention. Appends to a file are
// committed by the writer thread (event-writer.ts); many concurrent appends share a commit through
// group-commit.ts upstream.
import type {
  EventLog,
  EventLogReads,
  EventLogWrites,
  NewEvent,
  Page,
  RetentionRule,
  StoredEvent,
} from '../event-log.ts';
import { role } from '../role.ts';
import {
  EVENT_COLUMNS,
  limits,
  qualified,
  stored,
  toEvent,
  toSubscription,
  type EventRow,
  type SubscriptionRow,
} from '../rows.ts';
import { prepareAppend } from './append.ts';
import type { SqliteDb } from './sqlite-db.ts';

const E_EVENT_COLUMNS = qualified(EVENT_COLUMNS, 'e');

export function sqliteEventLog(db: SqliteDb): EventLog {
  const page = (op: string, sql: string, appId: string, key: string, p: Page): StoredEvent[] => {
    const l = limits(p);
    if (!l) return [];
    return db.run(op, () => (db.stmt(sql).all(appId, key, l.limit, l.offset) as EventRow[]).map(toEvent));
  };
  const after = (op: string, sql: string, appId: string, key: string, seq: number, count: number) =>
    db.run(op, () => (db.stmt(sql).all(appId, key, seq, count) as EventRow[]).map(toEvent));
  return role<EventLogReads, EventLogWrites>(
    {
      async listSubscriptions(appId, filter) {
        return db.run('events.listSubscriptions', () => {
          const sql = `SELECT app_id, user_id, channel, created_at FROM subscriptions
            WHERE app_id = ? AND (? IS NULL OR user_id = ?) AND (? IS NULL OR channel = ?)
            ORDER BY channel, user_id`;
          const user = filter.userId ?? null;
          const channel = filter.channel ?? null;
          return (db.stmt(sql).all(appId, user, user, channel, channel) as SubscriptionRow[]).map(toSubscription);
        });
      },
      async channelEvents(appId, channel, p) {
        const sql = `SELECT ${EVENT_COLUMNS} FROM events WHERE app_id = ? AND channel = ?
                     ORDER BY seq DESC LIMIT ? OFFSET ?`;
        return page('events.channelEvents', sql, appId, channel, p);
      },
      async userEvents(appId, userId, p) {
        const sql = `SELECT ${E_EVENT_COLUMNS} FROM deliveries d JOIN events e ON e.seq = d.seq
                     WHERE d.app_id = ? AND d.user_id = ? ORDER BY d.seq DESC LIMIT ? OFFSET ?`;
        return page('events.userEvents', sql, appId, userId, p);
      },
      async seqOf(appId, mid) {
        const sql = 'SELECT seq FROM events WHERE app_id = ? AND mid = ?';
        return db.run('events.seqOf', () => (db.stmt(sql).get(appId, mid) as { seq: number } | undefined)?.seq);
      },
      async channelEventsAfter(appId, channel, afterSeq, count) {
        const sql = `SELECT ${EVENT_COLUMNS} FROM events WHERE app_id = ? AND channel = ? AND seq > ?
                     ORDER BY seq LIMIT ?`;
        return after('events.channelEventsAfter', sql, appId, channel, afterSeq, count);
      },
      async userEventsAfter(appId, userId, afterSeq, count) {
        const sql = `SELECT ${E_EVENT_COLUMNS} FROM deliveries d JOIN events e ON e.seq = d.seq
                     WHERE d.app_id = ? AND d.user_id = ? AND d.seq > ? ORDER BY d.seq LIMIT ?`;
        return after('events.userEventsAfter', sql, appId, userId, afterSeq, count);
      },
    },
    {
      async addSubscription(appId, userId, channel) {
        return db.run('events.addSubscription', () => {
          const sql = `INSERT INTO subscriptions (app_id, user_id, channel, created_at) VALUES (?, ?, ?, ?)
                       ON CONFLICT DO NOTHING`;
          return db.stmt(sql).run(appId, userId, channel, Date.now()).changes > 0;
        });
      },
      async removeSubscription(appId, userId, channel) {
        return db.run('events.removeSubscription', () => {
          const sql = 'DELETE FROM subscriptions WHERE app_id = ? AND user_id = ? AND channel = ?';
          return db.stmt(sql).run(appId, userId, channel).changes > 0;
        });
      },
      async append(events: NewEvent[]) {
        if (events.length === 0) return [];
        const op = 'events.append';
        if (!db.writer)
          return db.run(op, () =>
            db
              .cached('append', () => prepareAppend(db.connection))(events)
              .map((seq, i) => stored(events[i], seq)),
          );
        if (!db.open) throw db.mapError(new Error('The database connection is not open'), op);
        try {
          const seqs = await db.writer.append(events);
          return seqs.map((seq, i) => stored(events[i], seq));
        } catch (err) {
          throw db.mapError(err, op);
        }
      },
      async prune(rule: RetentionRule, now = Date.now()) {
        return db.run('events.prune', () =>
          db.tx(() => {
            let removed = 0;
            if (rule.maxAgeMs > 0) {
              const sql = 'DELETE FROM events WHERE app_id = ? AND timestamp < ?';
              removed += db.stmt(sql).run(rule.appId, now - rule.maxAgeMs).changes;
            }
            // maxPerChannel <= 0 means no count limit, like maxAgeMs = 0.
            if (rule.maxPerChannel > 0) {
              removed += db
                .stmt(
                  `DELETE FROM events WHERE seq IN (
                     SELECT seq FROM (
                       SELECT seq, ROW_NUMBER() OVER (PARTITION BY channel ORDER BY seq DESC) AS rn
                       FROM events WHERE app_id = ?)
                     WHERE rn > ?)`,
                )
                .run(rule.appId, Math.floor(rule.maxPerChannel)).changes;
            }
            return removed;
          }),
        );
      },
    },
  );
}
