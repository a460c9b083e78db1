// Notification targets on SQLite.
import { role } from '../role.ts';
import { qualified } from '../rows.ts';
import { byTarget, filterValues, TARGET_COLUMNS, type TargetRow, toTarget, toTargetVia } from '../target-rows.ts';
import type { TargetsReads, TargetsStore, TargetsWrites } from '../targets-store.ts';
import type { SqliteDb } from './sqlite-db.ts';

const T_COLUMNS = qualified(TARGET_COLUMNS, 't');
const MATCH = '(? IS NULL OR channel = ?) AND (? IS NULL OR kind = ?) AND (? IS NULL OR address = ?)';

export function sqliteTargets(db: SqliteDb): TargetsStore {
  return role<TargetsReads, TargetsWrites>(
    {
      async list(appId, f) {
        const [c, k, a] = filterValues(f, false);
        return db.run('targets.list', () =>
          (
            db
              .stmt(
                `SELECT ${TARGET_COLUMNS} FROM notify_targets WHERE app_id = ? AND ${MATCH}
                 ORDER BY channel, kind, address`,
              )
              .all(appId, c, c, k, k, a, a) as TargetRow[]
          ).map(toTarget),
        );
      },
      async forChannels(appId, channels) {
        if (channels.length === 0) return [];
        const list = JSON.stringify(channels);
        return db.run('targets.forChannels', () =>
          (
            db
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
      },
      async hasAny(appId) {
        return db.run(
          'targets.hasAny',
          () => db.stmt('SELECT 1 FROM notify_targets WHERE app_id = ? LIMIT 1').get(appId) !== undefined,
        );
      },
    },
    {
      async add(t) {
        return db.run('targets.add', () => {
          const target = JSON.stringify(t.target);
          const inserted =
            db
              .stmt(`INSERT INTO notify_targets (${TARGET_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`)
              .run(t.appId, t.channel, t.kind, t.address, target, t.createdAt).changes > 0;
          if (!inserted) {
            db.stmt(
              'UPDATE notify_targets SET target = ? WHERE app_id = ? AND channel = ? AND kind = ? AND address = ?',
            ).run(target, t.appId, t.channel, t.kind, t.address);
          }
          return inserted;
        });
      },
      async remove(appId, f) {
        const [c, k, a] = filterValues(f, true);
        return db.run('targets.remove', () =>
          (
            db
              .stmt(`DELETE FROM notify_targets WHERE app_id = ? AND ${MATCH} RETURNING ${TARGET_COLUMNS}`)
              .all(appId, c, c, k, k, a, a) as TargetRow[]
          )
            .map(toTarget)
            .sort(byTarget),
        );
      },
    },
  );
}
