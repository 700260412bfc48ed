import { type DynamicModule, Logger, Module } from '@nestjs/common';
import { ServeStaticModule } from '@nestjs/serve-static';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The dashboard's built files (`npm run build` writes them there), found from the package root. */
export function dashboardDir(from: string = __dirname): string {
  // Compiled code runs from dist/src/dashboard, the tests from src/dashboard: walk up to the package root.
  let dir = from;
  while (!fs.existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return path.join(dir, 'dashboard', 'dist');
}

/** Express hands `setHeaders` a Node response, Fastify a reply: both are answered here. */
type HeaderTarget = {
  setHeader?: (name: string, value: string) => unknown;
  header?: (name: string, value: string) => unknown;
};

function setHeader(res: HeaderTarget, name: string, value: string): void {
  if (typeof res.header === 'function') res.header(name, value);
  else res.setHeader?.(name, value);
}

/**
 * Serves the dashboard (a single-page app that talks only to the public API) at /dashboard. Any other path
 * under /dashboard answers the app's index.html, so its client-side routes load on refresh; paths outside
 * /dashboard are untouched and keep their problem+json 404s. Works on the Express and the Fastify adapter.
 */
@Module({})
export class DashboardModule {
  static forRoot(root: string = dashboardDir()): DynamicModule {
    if (!fs.existsSync(path.join(root, 'index.html'))) {
      new Logger('Dashboard').warn(
        'The dashboard is not built (run `npm run build`): /dashboard is not served.',
      );
      return { module: DashboardModule };
    }
    return {
      module: DashboardModule,
      imports: [
        ServeStaticModule.forRoot({
          rootPath: root,
          serveRoot: '/dashboard',
          serveStaticOptions: {
            // Under Fastify: hand unknown paths to the index.html fallback; leave reply.sendFile to the docs' plugin.
            fallthrough: true,
            decorateReply: false,
            // File names under assets/ carry a content hash; index.html must be revalidated to pick up a new build.
            setHeaders: (res: HeaderTarget, file: string) =>
              setHeader(
                res,
                'Cache-Control',
                file.includes(`${path.sep}assets${path.sep}`)
                  ? 'public, max-age=31536000, immutable'
                  : 'no-cache',
              ),
          },
        }),
      ],
    };
  }
}
