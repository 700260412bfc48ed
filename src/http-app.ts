import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import type { AppConfig } from './config/app-config';
import { byteSize } from './config/config.schema';
import { requestId } from './common/request-id';
import { recordHttpMetrics } from './metrics/http-metrics';
import { MetricsService } from './metrics/metrics.service';

/**
 * Builds the HTTP application (not listening yet); shared by `aisle serve` and the e2e tests.
 * Fastify rather than Express: on a cached recommendation list the framework is most of a request's cost, and
 * Fastify's routing and reply path cost about half of Express's per request.
 */
export async function createHttpApp(config: AppConfig, databaseUrl: string): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot({ config, databaseUrl }),
    new FastifyAdapter({
      bodyLimit: byteSize(config.bodyLimit),
      genReqId: requestId,
      // Ids may be 128 characters, percent-encoded up to three times as long; longer ones still reach the
      // handler so that the 400 names the parameter.
      routerOptions: { ignoreTrailingSlash: true, maxParamLength: 2048 },
    }),
    { bufferLogs: true },
  );
  app.useLogger(app.get(Logger));
  recordHttpMetrics(app.getHttpAdapter().getInstance(), app.get(MetricsService));

  const doc = new DocumentBuilder()
    .setTitle('Aisle')
    .setDescription('Self-hosted retail recommendations: catalog, events, recommendations, admin.')
    .setVersion('1')
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-API-Key' }, 'api-key')
    .build();
  SwaggerModule.setup('docs', app, () => SwaggerModule.createDocument(app, doc), {
    jsonDocumentUrl: 'docs-json',
  });
  return app;
}
