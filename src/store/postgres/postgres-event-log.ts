// The event log on PostgreSQL: stored events, offline subscriptions, retention.
import type { EventLog, EventLogReads, EventLogWrites, Page, StoredEvent } from '../event-log.ts';
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
import type { PostgresDb } from './postgres-db.ts';

const E_EVENT_COLUMNS = qualified(EVENT_COLUMNS, 'e');

export function postgresEventLog(db: PostgresDb): EventLog {
  const page = async (op: string, sql: string, appId: string, key: string, p: Page): Promise<StoredEvent[]> => {
    const l = limits(p);
    if (!l) return [];
    return (await db.query<EventRow>(op, sql, [appId, key, l.limit, l.offset])).map(toEvent);
  };
  const after = async (op: string, sql: string, appId: string, key: string, seq: number, count: number) =>
    (await db.query<EventRow>(op, sql, [appId, key, seq, count])).map(toEvent);
  return role<EventLogReads, EventLogWrites>(
    {
      async listSubscriptions(appId, filter) {
        const sql = `SELECT app_id, user_id, channel, created_at FROM subscriptions
          WHERE app_id = $1 AND ($2::text IS NULL OR user_id = $2) AND ($3::text IS NULL OR channel = $3)
          ORDER BY channel, user_id`;
        const rows = await db.query<SubscriptionRow>('events.listSubscriptions', sql, [
          appId,
          filter.userId ?? null,
          filter.channel ?? null,
        ]);
        return rows.map(toSubscription);
      },
      channelEvents: (appId, channel, p) =>
        page(
          'events.channelEvents',
          `SELECT ${EVENT_COLUMNS} FROM events WHERE app_id = $1 AND channel = $2
           ORDER BY seq DESC LIMIT $3 OFFSET $4`,
          appId,
          channel,
          p,
        ),
      userEvents: (appId, userId, p) =>
        page(
          'events.userEvents',
          `SELECT ${E_EVENT_COLUMNS} FROM deliveries d JOIN events e ON e.seq = d.seq
           WHERE d.app_id = $1 AND d.user_id = $2 ORDER BY d.seq DESC LIMIT $3 OFFSET $4`,
          appId,
          userId,
          p,
        ),
      async seqOf(appId, mid) {
        const rows = await db.query<{ seq: string }>(
          'events.seqOf',
          'SELECT seq FROM events WHERE app_id = $1 AND mid = $2',
          [appId, mid],
        );
        return rows.length ? Number(rows[0].seq) : undefined;
      },
      channelEventsAfter: (appId, channel, afterSeq, count) =>
        after(
          'events.channelEventsAfter',
          `SELECT ${EVENT_COLUMNS} FROM events WHERE app_id = $1 AND channel = $2 AND seq > $3 ORDER BY seq LIMIT $4`,
          appId,
          channel,
          afterSeq,
          count,
        ),
      userEventsAfter: (appId, userId, afterSeq, count) =>
        after(
          'events.userEventsAfter',
          `SELECT ${E_EVENT_COLUMNS} FROM deliveries d JOIN events e ON e.seq = d.seq
           WHERE d.app_id = $1 AND d.user_id = $2 AND d.seq > $3 ORDER BY d.seq LIMIT $4`,
          appId,
          userId,
          afterSeq,
          count,
        ),
    },
    {
      async addSubscription(appId, userId, channel) {
        const sql = `INSERT INTO subscriptions (app_id, user_id, channel, created_at) VALUES ($1, $2, $3, $4)
                     ON CONFLICT DO NOTHING`;
        const result = await db.exec('events.addSubscription', sql, [appId, userId, channel, Date.now()]);
        return (result.rowCount ?? 0) > 0;
      },
      async removeSubscription(appId, userId, channel) {
        const sql = 'DELETE FROM subscriptions WHERE app_id = $1 AND user_id = $2 AND channel = $3';
        const result = await db.exec('events.removeSubscription', sql, [appId, userId, channel]);
        return (result.rowCount ?? 0) > 0;
      },
      async append(events) {
        if (events.length === 0) return [];
        return db.tx('events.append', async (c) => {
          // One multi-row INSERT whatever the batch size: columns travel as arrays, so the statement
          // text (and its prepared plan) stays the same and the 65535-parameter limit never applies.
          const { rows } = await db.q<{ seq: string; mid: string }>(
            c,
            `INSERT INTO events (mid, app_id, channel, event, data, socket_id, user_id, timestamp)
             SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
               $8::bigint[])
             RETURNING seq, mid`,
            [
              events.map((e) => e.mid),
              events.map((e) => e.appId),
              events.map((e) => e.channel),
              events.map((e) => e.event),
              events.map((e) => e.data),
              events.map((e) => e.socketId ?? null),
              events.map((e) => e.userId ?? null),
              events.map((e) => e.timestamp),
            ],
          );
          // RETURNING order is not promised by SQL; pair rows by their unique mid instead.
          const seqByMid = new Map(rows.map((r) => [r.mid, Number(r.seq)]));
          const seqs = events.map((e) => seqByMid.get(e.mid)!);
          // Deliveries go to whoever is subscribed inside this transaction: later subscribers miss it.
          await db.q(
            c,
            `INSERT INTO deliveries (app_id, user_id, seq)
             SELECT s.app_id, s.user_id, e.seq FROM events e
             JOIN subscriptions s ON s.app_id = e.app_id AND s.channel = e.channel
             WHERE e.seq = ANY($1::bigint[])`,
            [seqs],
          );
          return events.map((e, i) => stored(e, seqs[i]!));
        });
      },
      async prune(rule, now = Date.now()) {
        return db.tx('events.prune', async (c) => {
          let removed = 0;
          if (rule.maxAgeMs > 0) {
            const sql = 'DELETE FROM events WHERE app_id = $1 AND timestamp < $2';
            removed += (await db.q(c, sql, [rule.appId, now - rule.maxAgeMs])).rowCount ?? 0;
          }
          // maxPerChannel <= 0 means no count limit, like maxAgeMs = 0.
          if (rule.maxPerChannel > 0) {
            const sql = `DELETE FROM events WHERE seq IN (
               SELECT seq FROM (
                 SELECT seq, row_number() OVER (PARTITION BY channel ORDER BY seq DESC) AS rn
                 FROM events WHERE app_id = $1) ranked
               WHERE rn > $2)`;
            removed += (await db.q(c, sql, [rule.appId, Math.floor(rule.maxPerChannel)])).rowCount ?? 0;
          }
          return removed;
        });
      },
    },
  );
}
