import { DataSource, type DataSourceOptions } from 'typeorm';
import { MIGRATIONS } from '../../migrations';
import { ENTITIES } from './entities';

/** The one DataSource definition, used by the app, the CLI, the tests and the migration generator. */
export function dataSourceOptions(url: string): DataSourceOptions {
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
    extra: { max: 10 },
  };
}

export function createDataSource(url: string): DataSource {
  return new DataSource(dataSourceOptions(url));
}
