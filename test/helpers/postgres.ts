// Decides whether PostgreSQL-backed tests run: skipped (with a reason) when no server is reachable
// locally, but a hard failure in CI, where a silently skipped suite would hide regressions.
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const TEST_DATABASE_URL = process.env.PUSHI_TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';

export type PostgresTarget =
  | { available: true; url: string; schema: string; dropSchema: () => Promise<void> }
  | { available: false; url: string; reason: string };

/**
 * Checks the test server and reserves a fresh schema name `pushi_test_<hex>` (created by the code
 * under test). Call dropSchema() in `after` to remove it and everything in it.
 */
export async function postgresForTests(url = TEST_DATABASE_URL): Promise<PostgresTarget> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (err) {
    await client.end().catch(() => {});
    const why = err instanceof Error ? err.message || (err as { code?: string }).code : String(err);
    const reason = `PostgreSQL not reachable at ${where(url)} (${why})`;
    if (process.env.CI === 'true') {
      throw new Error(`${reason}; CI must run the PostgreSQL tests (set PUSHI_TEST_DATABASE_URL)`, { cause: err });
    }
    return { available: false, url, reason: `${reason}: skipping PostgreSQL tests` };
  }
  await client.end();
  const schema = `pushi_test_${randomBytes(6).toString('hex')}`;
  return {
    available: true,
    url,
    schema,
    dropSchema: async () => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await c.end();
      }
    },
  };
}

function where(url: string): string {
  try {
    const u = new URL(url);
    return `${u.host}${u.pathname}`;
  } catch {
    return url;
  }
}
