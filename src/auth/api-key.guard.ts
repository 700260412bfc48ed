import { type CanActivate, type ExecutionContext, Inject, Injectable, Logger } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { IncomingHttpHeaders } from 'node:http';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { LONG_RUNNING_SERVER } from '../common/long-running-server';
import type { Scope } from '../config/config.schema';
import { ProblemException } from '../common/problem';
import { ApiKeys } from './api-keys';
import { SCOPE_KEY } from './scopes.decorator';

/** X-API-Key auth (api.md): missing/unknown key → 401, wrong scope → 403; no keys configured → open. */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly keys: ApiKeys;

  constructor(
    private readonly reflector: Reflector,
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(LONG_RUNNING_SERVER) server: boolean,
  ) {
    this.keys = new ApiKeys(config.apiKeys);
    // Said by every server at start-up; commands and a server's job processes answer no HTTP, and the
    // line in their output (a job child's goes to the server's log) would only repeat it misleadingly.
    if (this.keys.open && server) {
      new Logger('Auth').warn('API_KEYS is not set: the API is open to anyone who can reach it.');
    }
  }

  canActivate(context: ExecutionContext): boolean {
    const scope = this.reflector.getAllAndOverride<Scope | undefined>(SCOPE_KEY, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (!scope) return true;
    const req = context.switchToHttp().getRequest<{ headers: IncomingHttpHeaders }>();
    const check = this.keys.check(req.headers['x-api-key']);
    switch (check.kind) {
      case 'open':
        return true;
      case 'missing':
        throw new ProblemException(401, 'Missing X-API-Key header.');
      case 'unknown':
        throw new ProblemException(401, 'Unknown API key.');
      case 'key':
        if (!check.scopes.has(scope)) {
          throw new ProblemException(403, `This API key lacks the "${scope}" scope this endpoint requires.`);
        }
        return true;
    }
  }
}
