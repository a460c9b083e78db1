// The apps role on SQLite.
import type { AppPatch, AppRecord, AppsReads, AppsStore, AppsWrites } from '../apps-store.ts';
import { role } from '../role.ts';
import { APP_COLUMNS, toApp, type AppRow } from '../rows.ts';
import type { SqliteDb } from './sqlite-db.ts';

export function sqliteApps(db: SqliteDb): AppsStore {
  const byColumn = (op: string, column: 'id' | 'key', value: string): AppRecord | undefined =>
    db.run(op, () => {
      const row = db.stmt(`SELECT ${APP_COLUMNS} FROM apps WHERE ${column} = ?`).get(value) as AppRow | undefined;
      return row && toApp(row);
    });
  return role<AppsReads, AppsWrites>(
    {
      async list() {
        return db.run('apps.list', () =>
          (db.stmt(`SELECT ${APP_COLUMNS} FROM apps ORDER BY created_at, id`).all() as AppRow[]).map(toApp),
        );
      },
      async get(id) {
        return byColumn('apps.get', 'id', id);
      },
      async getByKey(key) {
        return byColumn('apps.getByKey', 'key', key);
      },
    },
    {
      async create(app) {
        db.run('apps.create', () => {
          db.stmt(`INSERT INTO apps (${APP_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)`).run(
            app.id,
            app.key,
            app.secret,
            app.name,
            app.enabled ? 1 : 0,
            JSON.stringify(app.options ?? {}),
            app.createdAt,
          );
        });
      },
      async update(id: string, patch: AppPatch) {
        return db.run('apps.update', () => {
          // One static statement: NULL means "keep the current value" (no column is nullable).
          const row = db
            .stmt(
              `UPDATE apps SET key = COALESCE(?, key), secret = COALESCE(?, secret), name = COALESCE(?, name),
                 enabled = COALESCE(?, enabled), options = COALESCE(?, options)
               WHERE id = ? RETURNING ${APP_COLUMNS}`,
            )
            .get(
              patch.key ?? null,
              patch.secret ?? null,
              patch.name ?? null,
              patch.enabled === undefined ? null : patch.enabled ? 1 : 0,
              patch.options === undefined ? null : JSON.stringify(patch.options),
              id,
            ) as AppRow | undefined;
          return row && toApp(row);
        });
      },
      async delete(id) {
        return db.run('apps.delete', () =>
          db.tx(() => {
            // Everything stored for the app goes with it, in one transaction.
            for (const table of ['deliveries', 'events', 'subscriptions', 'queue_items', 'notify_targets'])
              db.stmt(`DELETE FROM ${table} WHERE app_id = ?`).run(id);
            return db.stmt('DELETE FROM apps WHERE id = ?').run(id).changes > 0;
          }),
        );
      },
    },
  );
}
