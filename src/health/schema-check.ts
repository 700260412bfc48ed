import { Injectable } from '@nestjs/common';
import type { HealthIndicatorResult } from '@nestjs/terminus';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';

interface SchemaState {
  applied: string[];
  missing: string[];
}

/**
 * Ready only on the schema this build expects: every migration it ships is recorded as applied and every
 * entity's table exists. A reachable database that was reset, restored from an older dump or never migrated
 * answers `SELECT 1` but cannot serve a single request.
 */
@Injectable()
export class SchemaCheck {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async check(): Promise<HealthIndicatorResult> {
    const expected = this.dataSource.migrations.map((m) => m.name ?? m.constructor.name);
    const tables = this.dataSource.entityMetadatas.map((m) => m.tablePath);
    const migrationsTable = this.dataSource.options.migrationsTableName ?? 'migrations';
    let state: SchemaState;
    try {
      // to_regclass is NULL for a missing table, where selecting from it would fail the query.
      const [{ missing }] = await this.dataSource.query<Array<{ missing: string[] }>>(
        'SELECT array(SELECT t FROM unnest($1::text[]) t WHERE to_regclass(t) IS NULL) AS missing',
        [[...tables, migrationsTable]],
      );
      const applied = missing.includes(migrationsTable)
        ? []
        : await this.dataSource.query<Array<{ name: string }>>(
            `SELECT name FROM ${this.dataSource.driver.escape(migrationsTable)}`,
          );
      state = { missing, applied: applied.map((r) => r.name) };
    } catch (e) {
      return { schema: { status: 'down', message: e instanceof Error ? e.message : String(e) } };
    }
    const applied = new Set(state.applied);
    const pending = expected.filter((name) => !applied.has(name));
    const up = state.missing.length === 0 && pending.length === 0;
    return {
      schema: up
        ? { status: 'up' }
        : { status: 'down', missingTables: state.missing, pendingMigrations: pending },
    };
  }
}
