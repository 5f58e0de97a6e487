import type { AddressInfo } from 'node:net';
import { type ServerType, serve } from '@hono/node-server';
import pino, { type Logger } from 'pino';
import type { Database } from '../db/connection.ts';
import { listenForStop } from '../util/signals.ts';
import { type AppOptions, createApp } from './app.ts';

export interface ServeOptions extends Omit<AppOptions, 'logger'> {
  port: number;
  host: string;
  logger?: Logger;
}

export interface RunningServer {
  url: string;
  /** Stops accepting connections, lets requests in flight finish (up to `graceMs`), then closes the database. */
  close(graceMs?: number): Promise<void>;
}

export function createLogger(level = process.env.LOG_LEVEL ?? 'info'): Logger {
  // Nothing logs headers or bodies; the redaction is a second line should someone add a request object.
  return pino({ level, redact: { paths: ['req.headers.authorization', 'req.headers.cookie', 'headers.authorization', 'headers.cookie', 'password', '*.password', 'token'], remove: true } });
}

export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const logger = options.logger ?? createLogger();
  const app = createApp({ ...options, logger });
  const server = await new Promise<ServerType>((resolve, reject) => {
    const started = serve({ fetch: app.fetch, port: options.port, hostname: options.host }, () => resolve(started));
    started.once('error', reject);
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  logger.info({ url, database: options.db.description }, 'listening');
  let closing: Promise<void> | undefined;
  return {
    url,
    close(graceMs = 10_000) {
      closing ??= (async () => {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            // Keep-alive and slow clients: after the grace period, cut them off.
            (server as { closeAllConnections?: () => void }).closeAllConnections?.();
          }, graceMs);
          timer.unref();
          server.close(() => {
            clearTimeout(timer);
            resolve();
          });
          (server as { closeIdleConnections?: () => void }).closeIdleConnections?.();
        });
        logger.info('stopped');
      })();
      return closing;
    },
  };
}

/** Runs until SIGINT or SIGTERM, then shuts down in order: HTTP first, the database last (the caller closes it). */
export async function serveUntilSignalled(db: Database, options: Omit<ServeOptions, 'db'>): Promise<void> {
  const signals = listenForStop();
  try {
    const running = await startServer({ ...options, db });
    process.stdout.write(`Tributary is serving on ${running.url} (API docs: ${running.url}/api/docs). Ctrl-C stops it.\n`);
    await signals.stopped;
    await running.close().catch(() => undefined);
  } finally {
    signals.dispose();
  }
}
