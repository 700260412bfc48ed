import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AttributionModule } from './attribution/attribution.module';
import { AdminModule } from './admin/admin.module';
import { ApiKeyGuard } from './auth/api-key.guard';
import { AuthModule } from './auth/auth.module';
import { CatalogModule } from './catalog/catalog.module';
import { CopurchaseModule } from './copurchase/copurchase.module';
import { JsonBodyGuard } from './common/json-body.guard';
import { REQUEST_LOG, requestLogging } from './common/request-logging';
import { DashboardModule } from './dashboard/dashboard.module';
import { ProblemFilter } from './common/problem.filter';
import { APP_CONFIG, type AppConfig } from './config/app-config';
import { dataSourceOptions } from './database/data-source';
import { DATABASE_URL } from './database/database-url';
import { EventsModule } from './events/events.module';
import { HealthModule } from './health/health.module';
import { ImportModule } from './import/import.module';
import { LONG_RUNNING_SERVER } from './common/long-running-server';
import { JobsModule } from './jobs/jobs.module';
import { MetricsModule } from './metrics/metrics.module';
import { EmbeddingsModule } from './embeddings/embeddings.module';
import { VectorIndexModule } from './vector-index/vector-index.module';
import { RecommendationsModule } from './recommendations/recommendations.module';
import { SyncModule } from './sync/sync.module';
import { TrainingModule } from './training/training.module';
import { PlacementsModule } from './placements/placements.module';
import { ExperimentsModule } from './experiments/experiments.module';

export interface AppModuleOptions {
  config: AppConfig;
  /** Resolved before Nest starts: either DATABASE_URL or the embedded server's URL. */
  databaseUrl: string;
  /** Command-line runs log to stderr so stdout carries only their output (and the --json summary). */
  logToStderr?: boolean;
  /** The server (true): claims queued jobs, runs schedules, listens for changes. One-shot commands: false. */
  longRunningServer?: boolean;
}

@Module({})
export class AppModule {
  static forRoot({
    config,
    databaseUrl,
    logToStderr,
    longRunningServer = true,
  }: AppModuleOptions): DynamicModule {
    const logging = requestLogging(config, logToStderr === true);
    return {
      module: AppModule,
      global: true,
      imports: [
        logging.module,
        TypeOrmModule.forRoot(dataSourceOptions(databaseUrl, config.database)),
        SyncModule,
        MetricsModule,
        AttributionModule,
        HealthModule,
        // Express tries a request's path against every route in the order they were registered, which follows
        // this list: the lists a shop's pages ask for on every view come right after the probes, ahead of the
        // catalog, admin and job routes (/similar was the 18th route tried, a session list the 21st).
        RecommendationsModule,
        PlacementsModule,
        CatalogModule,
        EventsModule,
        AdminModule,
        ImportModule,
        JobsModule,
        EmbeddingsModule,
        VectorIndexModule,
        CopurchaseModule,
        TrainingModule,
        ExperimentsModule,
        AuthModule,
        DashboardModule.forRoot(),
      ],
      providers: [
        { provide: APP_CONFIG, useValue: config },
        { provide: LONG_RUNNING_SERVER, useValue: longRunningServer },
        { provide: DATABASE_URL, useValue: databaseUrl },
        logging.provider,
        // Global guards run in this order: the key is checked before the body is read.
        { provide: APP_GUARD, useClass: ApiKeyGuard },
        { provide: APP_GUARD, useClass: JsonBodyGuard },
        { provide: APP_FILTER, useClass: ProblemFilter },
      ],
      exports: [APP_CONFIG, LONG_RUNNING_SERVER, DATABASE_URL, REQUEST_LOG],
    };
  }
}
