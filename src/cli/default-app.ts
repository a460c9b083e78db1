// The newcomer's default app, announced once at start-up. JSON logs get one JSON record (without
// the secret: logs never carry secrets; `pushi apps show ID` prints it); a terminal gets the
// credentials in a few readable lines.
import type { Logger } from 'pino';

export interface DefaultAppNotice {
  id: string;
  key: string;
  secret: string;
  /** Where it is kept (sqlite, postgres). */
  store: string;
}

const HOW =
  'Configure real apps with PUSHI_APP_ID/PUSHI_APP_KEY/PUSHI_APP_SECRET, PUSHI_APPS_FILE, or `pushi apps create NAME`.';

export function announceDefaultApp(logger: Logger, app: DefaultAppNotice, humanReader: boolean): void {
  if (!humanReader) {
    logger.info(
      { defaultApp: { id: app.id, key: app.key, store: app.store } },
      `default app (kept across restarts); its secret: pushi apps show ${app.id}. ${HOW}`,
    );
    return;
  }
  process.stdout.write(
    `\nDefault app (kept across restarts in ${app.store}):\n` +
      `  app id:     ${app.id}\n  app key:    ${app.key}\n  app secret: ${app.secret}\n${HOW}\n\n`,
  );
}
