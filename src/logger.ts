// Structured JSON logs (pino); a readable mode for terminals. Secrets are redacted by path.
import pino, { type Logger } from 'pino';

export function createLogger(level: string, pretty: boolean): Logger {
  return pino({
    level,
    base: { service: 'pushi' },
    redact: {
      paths: ['secret', '*.secret', '*.*.secret', 'adminToken', '*.adminToken', 'auth', '*.auth'],
      censor: '[redacted]',
    },
    transport: pretty
      ? { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss' } }
      : undefined,
  });
}

export const silentLogger: Logger = pino({ level: 'silent' });
