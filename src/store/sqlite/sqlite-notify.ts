// The notification tables on SQLite (targets and their queue); SqliteStore delegates to this.
import type Database from 'better-sqlite3';
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

export interface SqliteAccess {
  stmt(sql: string): Database.Statement;
  run<T>(op: string, body: () => T): T;
  /** Runs body in an IMMEDIATE transaction. */
  tx<T>(body: () => T): T;
}

const T_COLUMNS = TARGET_COLUMNS.replace(/(\w+)/g, 't.$1');
const MATCH = '(? IS NULL OR channel = ?) AND (? IS NULL OR kind = ?) AND (? IS NULL OR address = ?)';

export class SqliteNotify {
  constructor(private readonly db: SqliteAccess) {}

  addTarget(t: NotifyTarget): boolean {
    return this.db.run('addTarget', () => {
      const target = JSON.stringify(t.target);
      const inserted =
        this.db
          .stmt(`INSERT INTO notify_targets (${TARGET_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`)
          .run(t.appId, t.channel, t.kind, t.address, target, t.createdAt).changes > 0;
      if (!inserted) {
        this.db
          .stmt('UPDATE notify_targets SET target = ? WHERE app_id = ? AND channel = ? AND kind = ? AND address = ?')
          .run(target, t.appId, t.channel, t.kind, t.address);
      }
      return inserted;
    });
  }

  listTargets(appId: string, f: TargetFilter): NotifyTarget[] {
    const [c, k, a] = filterValues(f, false);
    return this.db.run('listTargets', () =>
      (
        this.db
          .stmt(
            `SELECT ${TARGET_COLUMNS} FROM notify_targets WHERE app_id = ? AND ${MATCH} ORDER BY channel, kind, address`,
          )
          .all(appId, c, c, k, k, a, a) as TargetRow[]
      ).map(toTarget),
    );
  }

  removeTargets(appId: string, f: TargetFilter): NotifyTarget[] {
    const [c, k, a] = filterValues(f, true);
    return this.db.run('removeTargets', () =>
      (
        this.db
          .stmt(`DELETE FROM notify_targets WHERE app_id = ? AND ${MATCH} RETURNING ${TARGET_COLUMNS}`)
          .all(appId, c, c, k, k, a, a) as TargetRow[]
      )
        .map(toTarget)
        .sort(byTarget),
    );
  }

  targetsFor(appId: string, channels: string[]): Array<NotifyTarget & { via: string }> {
    if (channels.length === 0) return [];
    const list = JSON.stringify(channels);
    return this.db.run('targetsFor', () =>
      (
        this.db
          .stmt(
            `SELECT ${T_COLUMNS}, t.channel AS via FROM notify_targets t
             WHERE t.app_id = ? AND t.channel IN (SELECT value FROM json_each(?))
             UNION ALL
             SELECT ${T_COLUMNS}, s.channel AS via FROM subscriptions s
             JOIN notify_targets t ON t.app_id = s.app_id AND t.channel = 'personal-' || s.user_id
             WHERE s.app_id = ? AND s.channel IN (SELECT value FROM json_each(?))`,
          )
          .all(appId, list, appId, list) as TargetRow[]
      ).map(toTargetVia),
    );
  }

  hasTargets(appId: string): boolean {
    return this.db.run(
      'hasTargets',
      () => this.db.stmt('SELECT 1 FROM notify_targets WHERE app_id = ? LIMIT 1').get(appId) !== undefined,
    );
  }

  enqueueNotifications(items: NewNotification[]): void {
    if (items.length === 0) return;
    this.db.run('enqueueNotifications', () =>
      this.db.tx(() => {
        const insert = this.db.stmt(
          'INSERT INTO notify_queue (app_id, kind, address, target, body, created_at, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
        );
        for (const n of items)
          insert.run(n.appId, n.kind, n.address, JSON.stringify(n.target), n.body, n.createdAt, n.nextAttemptAt);
      }),
    );
  }

  claimNotifications(now: number, leaseMs: number, limit: number): NotificationDelivery[] {
    return this.db.run('claimNotifications', () => {
      // Nothing due (the usual poll): no write lock taken, so none waited for on the event loop.
      if (!this.db.stmt('SELECT 1 FROM notify_queue WHERE next_attempt_at <= ? LIMIT 1').get(now)) return [];
      return this.db.tx(() => {
        const rows = this.db
          .stmt(
            `SELECT ${NOTIFICATION_COLUMNS} FROM notify_queue WHERE next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?`,
          )
          .all(now, Math.max(0, Math.floor(limit))) as NotificationRow[];
        const lease = this.db.stmt('UPDATE notify_queue SET next_attempt_at = ? WHERE id = ?');
        for (const row of rows) lease.run(now + leaseMs, row.id);
        return rows.map((r) => ({ ...toNotification(r), nextAttemptAt: now + leaseMs })).sort((a, b) => a.id - b.id);
      });
    });
  }

  notificationDone(id: number): void {
    this.db.run('notificationDone', () => this.db.stmt('DELETE FROM notify_queue WHERE id = ?').run(id));
  }

  rescheduleNotification(id: number, nextAttemptAt: number, error: string | null, countAttempt: boolean): void {
    this.db.run('rescheduleNotification', () =>
      this.db
        .stmt(
          'UPDATE notify_queue SET next_attempt_at = ?, attempts = attempts + ?, last_error = COALESCE(?, last_error) WHERE id = ?',
        )
        .run(nextAttemptAt, countAttempt ? 1 : 0, error, id),
    );
  }

  countPendingNotifications(appId?: string): number {
    return this.db.run('countPendingNotifications', () => {
      const row = this.db
        .stmt('SELECT COUNT(*) AS n FROM notify_queue WHERE (? IS NULL OR app_id = ?)')
        .get(appId ?? null, appId ?? null) as { n: number };
      return Number(row.n);
    });
  }

  /** Part of deleteApp's transaction. */
  deleteApp(appId: string): void {
    this.db.stmt('DELETE FROM notify_targets WHERE app_id = ?').run(appId);
    this.db.stmt('DELETE FROM notify_queue WHERE app_id = ?').run(appId);
  }
}
