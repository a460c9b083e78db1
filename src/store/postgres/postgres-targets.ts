// Notification targets on PostgreSQL.
import { role } from '../role.ts';
import { qualified } from '../rows.ts';
import { byTarget, filterValues, TARGET_COLUMNS, type TargetRow, toTarget, toTargetVia } from '../target-rows.ts';
import type { TargetsReads, TargetsStore, TargetsWrites } from '../targets-store.ts';
import type { PostgresDb } from './postgres-db.ts';

const T_COLUMNS = qualified(TARGET_COLUMNS, 't');
const MATCH =
  '($2::text IS NULL OR channel = $2) AND ($3::text IS NULL OR kind = $3) AND ($4::text IS NULL OR address = $4)';

export function postgresTargets(db: PostgresDb): TargetsStore {
  return role<TargetsReads, TargetsWrites>(
    {
      async list(appId, f) {
        const rows = await db.query<TargetRow>(
          'targets.list',
          `SELECT ${TARGET_COLUMNS} FROM notify_targets WHERE app_id = $1 AND ${MATCH} ORDER BY channel, kind, address`,
          [appId, ...filterValues(f, false)],
        );
        return rows.map(toTarget);
      },
      async forChannels(appId, channels) {
        if (channels.length === 0) return [];
        const rows = await db.query<TargetRow>(
          'targets.forChannels',
          `SELECT ${T_COLUMNS}, t.channel AS via FROM notify_targets t
           WHERE t.app_id = $1 AND t.channel = ANY($2::text[])
           UNION ALL
           SELECT ${T_COLUMNS}, s.channel AS via FROM subscriptions s
           JOIN notify_targets t ON t.app_id = s.app_id AND t.channel = 'personal-' || s.user_id
           WHERE s.app_id = $1 AND s.channel = ANY($2::text[])`,
          [appId, channels],
        );
        return rows.map(toTargetVia);
      },
      async hasAny(appId) {
        const rows = await db.query('targets.hasAny', 'SELECT 1 FROM notify_targets WHERE app_id = $1 LIMIT 1', [
          appId,
        ]);
        return rows.length > 0;
      },
    },
    {
      async add(t) {
        // xmax = 0 only on a freshly inserted row: tells "new" from "refreshed" in one statement.
        const rows = await db.query<{ inserted: boolean }>(
          'targets.add',
          `INSERT INTO notify_targets (${TARGET_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (app_id, channel, kind, address) DO UPDATE SET target = EXCLUDED.target
           RETURNING (xmax = 0) AS inserted`,
          [t.appId, t.channel, t.kind, t.address, JSON.stringify(t.target), t.createdAt],
        );
        return rows[0]?.inserted === true;
      },
      async remove(appId, f) {
        const rows = await db.query<TargetRow>(
          'targets.remove',
          `DELETE FROM notify_targets WHERE app_id = $1 AND ${MATCH} RETURNING ${TARGET_COLUMNS}`,
          [appId, ...filterValues(f, true)],
        );
        return rows.map(toTarget).sort(byTarget);
      },
    },
  );
}
