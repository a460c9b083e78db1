// The apps role on PostgreSQL.
import type { AppsReads, AppsStore, AppsWrites } from '../apps-store.ts';
import { role } from '../role.ts';
import { APP_COLUMNS, toApp, type AppRow } from '../rows.ts';
import type { PostgresDb } from './postgres-db.ts';

export function postgresApps(db: PostgresDb): AppsStore {
  const one = async (op: string, column: 'id' | 'key', value: string) => {
    const rows = await db.query<AppRow>(op, `SELECT ${APP_COLUMNS} FROM apps WHERE ${column} = $1`, [value]);
    return rows[0] && toApp(rows[0]);
  };
  return role<AppsReads, AppsWrites>(
    {
      async list() {
        const rows = await db.query<AppRow>('apps.list', `SELECT ${APP_COLUMNS} FROM apps ORDER BY created_at, id`, []);
        return rows.map(toApp);
      },
      get: (id) => one('apps.get', 'id', id),
      getByKey: (key) => one('apps.getByKey', 'key', key),
    },
    {
      async create(app) {
        await db.query('apps.create', `INSERT INTO apps (${APP_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)`, [
          app.id,
          app.key,
          app.secret,
          app.name,
          app.enabled,
          JSON.stringify(app.options ?? {}),
          app.createdAt,
        ]);
      },
      async update(id, patch) {
        // NULL means "keep the current value" (no column is nullable).
        const rows = await db.query<AppRow>(
          'apps.update',
          `UPDATE apps SET key = COALESCE($2, key), secret = COALESCE($3, secret), name = COALESCE($4, name),
             enabled = COALESCE($5::boolean, enabled), options = COALESCE($6, options)
           WHERE id = $1 RETURNING ${APP_COLUMNS}`,
          [
            id,
            patch.key ?? null,
            patch.secret ?? null,
            patch.name ?? null,
            patch.enabled ?? null,
            patch.options === undefined ? null : JSON.stringify(patch.options),
          ],
        );
        return rows[0] && toApp(rows[0]);
      },
      async delete(id) {
        return db.tx('apps.delete', async (c) => {
          // Everything stored for the app goes with it, in one transaction.
          for (const table of ['deliveries', 'events', 'subscriptions', 'queue_items', 'notify_targets'])
            await db.q(c, `DELETE FROM ${table} WHERE app_id = $1`, [id]);
          return ((await db.q(c, 'DELETE FROM apps WHERE id = $1', [id])).rowCount ?? 0) > 0;
        });
      },
    },
  );
}
