// Runs a suite once per store: SQLite (always) and PostgreSQL (a fresh schema per run; skipped
// with a reason when unreachable, failing under CI=true).
import { describe } from 'node:test';
import { postgresForTests } from './postgres.ts';

export interface StoreEnv {
  name: string;
  /** Extra env for startServer (nothing for SQLite). */
  env: Record<string, string>;
}

export async function forEachStore(title: string, suite: (store: StoreEnv) => void): Promise<void> {
  describe(`${title} (sqlite)`, () => suite({ name: 'sqlite', env: {} }));
  const pg = await postgresForTests();
  if (!pg.available) {
    describe(`${title} (postgres)`, { skip: pg.reason }, () => undefined);
    return;
  }
  describe(`${title} (postgres)`, async () => {
    const { after } = await import('node:test');
    after(() => pg.dropSchema());
    suite({ name: 'postgres', env: { DATABASE_URL: pg.url, DATABASE_SCHEMA: pg.schema } });
  });
}
