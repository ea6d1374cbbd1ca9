import pino, { type DestinationStream, type Logger } from 'pino';

/**
 * Paths pino blanks in every log line: credentials in headers, bodies and our own fields. A key,
 * token or password must never reach a log, whatever a caller passes.
 */
export const REDACTED_PATHS = [
  'authorization',
  'password',
  'apiKey',
  'api_key',
  'token',
  'access_token',
  'refresh_token',
  'client_secret',
  'headers.authorization',
  'headers["x-api-key"]',
  'headers.cookie',
  'headers["set-cookie"]',
  'headers.dpop',
  '*.authorization',
  '*.password',
  '*.apiKey',
  '*.api_key',
  '*.access_token',
  '*.refresh_token',
  '*.client_secret',
  '*.token',
];

/** The wallet's logger: JSON lines, secrets redacted. */
export function createLogger(options: { level?: string; destination?: DestinationStream } = {}): Logger {
  return pino(
    {
      level: options.level ?? process.env.LOG_LEVEL ?? 'info',
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    },
    options.destination,
  );
}
