import { DataSource, type DataSourceOptions } from 'typeorm';
import type { DatabaseLimits } from '../config/config.schema';
import { MIGRATIONS } from '../../migrations';
import { ENTITIES } from './entities';

/**
 * How much later than the server's statement_timeout the client stops waiting: a live server cancels first
 * (a clean error, the connection stays usable); the client's own timer only fires when nothing answers.
 */
export const CLIENT_TIMEOUT_MARGIN_MS = 2000;

/**
 * pg pool options from the limits. Without them a hung server (or a full pool) makes requests wait forever;
 * with them they fail fast, and the problem filter answers 503.
 */
export function poolOptions(limits: DatabaseLimits): Record<string, number> {
  return {
    max: limits.poolMax,
    // pg-pool applies it both to opening a connection and to waiting for a free one.
    connectionTimeoutMillis: limits.connectTimeoutMs,
    statement_timeout: limits.statementTimeoutMs,
    query_timeout: limits.statementTimeoutMs + CLIENT_TIMEOUT_MARGIN_MS,
  };
}

/**
 * The one DataSource definition, used by the app, the CLI, the tests and the migration generator. Without
 * `limits`, statements are not timed out (migrations may legitimately run long).
 */
export function dataSourceOptions(url: string, limits?: DatabaseLimits): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    // gen_random_uuid() is built into PostgreSQL 13+; uuid-ossp would need an extension on managed servers.
    uuidExtension: 'pgcrypto',
    // The schema only ever changes through reviewed migrations.
    synchronize: false,
    migrationsRun: false,
    logging: false,
    extra: limits ? poolOptions(limits) : { max: 10 },
  };
}

export function createDataSource(url: string, limits?: DatabaseLimits): DataSource {
  return new DataSource(dataSourceOptions(url, limits));
}
