// The notification tables on PostgreSQL (targets and their queue); PostgresStore delegates to this.
import type pg from 'pg';
import {
  byTarget,
  filterValues,
  NOTIFICATION_COLUMNS,
  type NotificationRow,
  TARGET_COLUMNS,
  type TargetRow,
  toNotification,
  toTarget,
  toTargetVia,
} from '../notify-rows.ts';
import type { NewNotification, NotificationDelivery, NotifyTarget, TargetFilter } from '../store.ts';

export interface PostgresAccess {
  /** A named query on the pool, errors mapped to the store's types. */
  query<R extends pg.QueryResultRow>(op: string, text: string, values: unknown[]): Promise<R[]>;
}

const T_COLUMNS = TARGET_COLUMNS.replace(/(\w+)/g, 't.$1');
const MATCH =
  '($2::text IS NULL OR channel = $2) AND ($3::text IS NULL OR kind = $3) AND ($4::text IS NULL OR address = $4)';

export class PostgresNotify {
  constructor(private readonly db: PostgresAccess) {}

  async addTarget(t: NotifyTarget): Promise<boolean> {
    // xmax = 0 only on a freshly inserted row: tells "new" from "refreshed" in one statement.
    const rows = await this.db.query<{ inserted: boolean }>(
      'addTarget',
      `INSERT INTO notify_targets (${TARGET_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (app_id, channel, kind, address) DO UPDATE SET target = EXCLUDED.target
       RETURNING (xmax = 0) AS inserted`,
      [t.appId, t.channel, t.kind, t.address, JSON.stringify(t.target), t.createdAt],
    );
    return rows[0]?.inserted === true;
  }

  async listTargets(appId: string, f: TargetFilter): Promise<NotifyTarget[]> {
    const rows = await this.db.query<TargetRow>(
      'listTargets',
      `SELECT ${TARGET_COLUMNS} FROM notify_targets WHERE app_id = $1 AND ${MATCH} ORDER BY channel, kind, address`,
      [appId, ...filterValues(f, false)],
    );
    return rows.map(toTarget);
  }

  async removeTargets(appId: string, f: TargetFilter): Promise<NotifyTarget[]> {
    const values = [appId, ...filterValues(f, true)];
    const rows = await this.db.query<TargetRow>(
      'removeTargets',
      `DELETE FROM notify_targets WHERE app_id = $1 AND ${MATCH} RETURNING ${TARGET_COLUMNS}`,
      values,
    );
    return rows.map(toTarget).sort(byTarget);
  }

  async targetsFor(appId: string, channels: string[]): Promise<Array<NotifyTarget & { via: string }>> {
    if (channels.length === 0) return [];
    const rows = await this.db.query<TargetRow>(
      'targetsFor',
      `SELECT ${T_COLUMNS}, t.channel AS via FROM notify_targets t WHERE t.app_id = $1 AND t.channel = ANY($2::text[])
       UNION ALL
       SELECT ${T_COLUMNS}, s.channel AS via FROM subscriptions s
       JOIN notify_targets t ON t.app_id = s.app_id AND t.channel = 'personal-' || s.user_id
       WHERE s.app_id = $1 AND s.channel = ANY($2::text[])`,
      [appId, channels],
    );
    return rows.map(toTargetVia);
  }

  async hasTargets(appId: string): Promise<boolean> {
    const rows = await this.db.query('hasTargets', 'SELECT 1 FROM notify_targets WHERE app_id = $1 LIMIT 1', [appId]);
    return rows.length > 0;
  }

  async enqueueNotifications(items: NewNotification[]): Promise<void> {
    if (items.length === 0) return;
    // Array parameters: one statement text whatever the batch size.
    await this.db.query(
      'enqueueNotifications',
      `INSERT INTO notify_queue (app_id, kind, address, target, body, created_at, next_attempt_at)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::bigint[])`,
      [
        items.map((n) => n.appId),
        items.map((n) => n.kind),
        items.map((n) => n.address),
        items.map((n) => JSON.stringify(n.target)),
        items.map((n) => n.body),
        items.map((n) => n.createdAt),
        items.map((n) => n.nextAttemptAt),
      ],
    );
  }

  async claimNotifications(now: number, leaseMs: number, limit: number): Promise<NotificationDelivery[]> {
    // SKIP LOCKED: nodes sharing the database claim disjoint rows.
    const rows = await this.db.query<NotificationRow>(
      'claimNotifications',
      `UPDATE notify_queue SET next_attempt_at = $2 WHERE id IN (
         SELECT id FROM notify_queue WHERE next_attempt_at <= $1 ORDER BY next_attempt_at, id LIMIT $3 FOR UPDATE SKIP LOCKED)
       RETURNING ${NOTIFICATION_COLUMNS}`,
      [now, now + leaseMs, Math.max(0, Math.floor(limit))],
    );
    return rows.map(toNotification).sort((a, b) => a.id - b.id);
  }

  async notificationDone(id: number): Promise<void> {
    await this.db.query('notificationDone', 'DELETE FROM notify_queue WHERE id = $1', [id]);
  }

  async rescheduleNotification(
    id: number,
    nextAttemptAt: number,
    error: string | null,
    countAttempt: boolean,
  ): Promise<void> {
    await this.db.query(
      'rescheduleNotification',
      'UPDATE notify_queue SET next_attempt_at = $2, attempts = attempts + $3, last_error = COALESCE($4, last_error) WHERE id = $1',
      [id, nextAttemptAt, countAttempt ? 1 : 0, error],
    );
  }

  async countPendingNotifications(appId?: string): Promise<number> {
    const rows = await this.db.query<{ n: string }>(
      'countPendingNotifications',
      'SELECT COUNT(*) AS n FROM notify_queue WHERE ($1::text IS NULL OR app_id = $1)',
      [appId ?? null],
    );
    return Number(rows[0]?.n ?? 0);
  }
}

/** Statements for deleteApp's transaction. */
export const DELETE_APP_NOTIFY = [
  'DELETE FROM notify_targets WHERE app_id = $1',
  'DELETE FROM notify_queue WHERE app_id = $1',
];
