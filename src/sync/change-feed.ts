import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Client } from 'pg';
import { Observable, Subject, filter, map } from 'rxjs';
import type { DataSource } from 'typeorm';
import { LONG_RUNNING_SERVER } from '../common/long-running-server';
import { CHANNELS, type Channel } from './change-channels';

const RECONNECT_MIN_MS = 250;
const RECONNECT_MAX_MS = 5000;
/** A connection that died without a TCP reset shows up here, not as an 'end' event. */
const HEARTBEAT_MS = 10_000;

interface Notice {
  channel: string;
  payload: unknown;
}

/**
 * The cross-process change feed: one dedicated PostgreSQL connection (not from the pool, whose connections
 * are handed to other queries) LISTENing on every channel of CHANNELS. Servers listen; one-shot commands
 * (LONG_RUNNING_SERVER false) only write, and their writes notify through the database triggers.
 *
 * Notifications sent while the connection is down are lost, so after every reconnect `resync$` fires and each
 * holder of in-memory state re-reads it from PostgreSQL (the catch-up read).
 */
@Injectable()
export class ChangeFeed implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('ChangeFeed');
  private readonly notices = new Subject<Notice>();
  private readonly resyncSubject = new Subject<void>();
  /** Fires after a reconnect: whatever changed while disconnected must be re-read. */
  readonly resync$ = this.resyncSubject.asObservable();
  private client: Client | undefined;
  /** The connection being made or in use; events of any older one are ignored. */
  private attempt: Client | undefined;
  private stopped = false;
  private retryMs = RECONNECT_MIN_MS;
  private retryTimer: NodeJS.Timeout | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private everConnected = false;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(LONG_RUNNING_SERVER) private readonly listening: boolean,
  ) {}

  async onModuleInit(): Promise<void> {
    // Listening starts before any holder loads its state (their loads run at application bootstrap), so a
    // change committed between a holder's load and the LISTEN cannot slip through.
    if (this.listening) await this.connect();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.heartbeat) clearInterval(this.heartbeat);
    const c = this.client;
    this.client = undefined;
    await c?.end().catch(() => undefined);
    this.notices.complete();
    this.resyncSubject.complete();
  }

  /** Parsed payloads of one channel (malformed JSON arrives as undefined). */
  on(channel: Channel): Observable<unknown> {
    return this.notices.pipe(
      filter((n) => n.channel === channel),
      map((n) => n.payload),
    );
  }

  /** Whether the listening connection is up (false in commands, which do not listen). */
  get connected(): boolean {
    return this.client !== undefined;
  }

  /** Sends a notification outside any write transaction (for changes that are not rows, like index files). */
  async notify(channel: Channel, payload: Record<string, unknown>): Promise<void> {
    await this.db.query('SELECT pg_notify($1, $2)', [channel, JSON.stringify(payload)]);
  }

  private async connect(): Promise<void> {
    const url = (this.db.options as { url?: string }).url;
    const client = new Client({ connectionString: url, keepAlive: true, query_timeout: HEARTBEAT_MS });
    this.attempt = client;
    client.on('notification', (msg) => {
      let payload: unknown;
      try {
        payload = msg.payload ? JSON.parse(msg.payload) : {};
      } catch {
        payload = undefined;
      }
      this.notices.next({ channel: msg.channel, payload });
    });
    // 'error' and 'end' both mean the connection is gone; either way a fresh one is made.
    client.on('error', (e) => this.lost(client, e));
    client.on('end', () => this.lost(client));
    try {
      await client.connect();
      for (const channel of Object.values(CHANNELS)) await client.query(`LISTEN ${channel}`);
    } catch (e) {
      await client.end().catch(() => undefined);
      if (!this.everConnected && !this.stopped) throw e;
      this.lost(client, e as Error);
      return;
    }
    if (this.stopped) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.retryMs = RECONNECT_MIN_MS;
    this.heartbeat = setInterval(() => {
      client.query('SELECT 1').catch((e: Error) => this.lost(client, e));
    }, HEARTBEAT_MS);
    this.heartbeat.unref();
    if (this.everConnected) {
      this.logger.log('change feed reconnected: re-reading in-memory state from PostgreSQL');
      this.resyncSubject.next();
    }
    this.everConnected = true;
  }

  private lost(client: Client, e?: Error): void {
    if (client !== this.attempt) return;
    this.attempt = undefined;
    this.client = undefined;
    if (this.heartbeat) clearInterval(this.heartbeat);
    client.end().catch(() => undefined);
    if (this.stopped || this.retryTimer) return;
    this.logger.warn(
      `change feed connection lost${e ? ` (${e.message})` : ''}: reconnecting in ${this.retryMs} ms`,
    );
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.connect();
    }, this.retryMs);
    this.retryTimer.unref();
    this.retryMs = Math.min(RECONNECT_MAX_MS, this.retryMs * 2);
  }
}
