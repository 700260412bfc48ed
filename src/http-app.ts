import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { RequestHandler } from 'express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import type { AppConfig } from './config/app-config';
import { answerClientErrorsAsProblems } from './common/client-error';
import { checkRequestTarget } from './common/request-target';
import { REQUEST_LOG } from './common/request-logging';
import { PrototypedExpressAdapter } from './common/prototyped-express-adapter';
import { httpMetrics } from './metrics/http-metrics';
import { MetricsService } from './metrics/metrics.service';

/**
 * Builds the HTTP application (not listening yet); shared by `aisle serve` and the e2e tests.
 * No body parser here: bodies are read by JsonBodyGuard, after the API key guard, so that a request
 * without a valid key is refused before its body is read or judged.
 */
export async function createHttpApp(config: AppConfig, databaseUrl: string): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(
    AppModule.forRoot({ config, databaseUrl }),
    new PrototypedExpressAdapter(),
    { bodyParser: false, bufferLogs: true },
  );
  app.useLogger(app.get(Logger));
  app.disable('x-powered-by');
  // Express hashes every response body for a weak ETag. No route here answers conditional requests, and a list's
  // body carries a fresh recommId, so the validator could never match: the hash was pure cost on every answer.
  app.set('etag', false);
  app.use(checkRequestTarget);
  app.use(httpMetrics(app.get(MetricsService)));
  const requestLog = app.get<RequestHandler | null>(REQUEST_LOG);
  if (requestLog) app.use(requestLog);
  answerClientErrorsAsProblems(app.getHttpServer());

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
