import { type CanActivate, type ExecutionContext, Inject, Injectable, Logger } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import type { Scope } from '../config/config.schema';
import { ProblemException } from '../common/problem';
import { SCOPE_KEY } from './scopes.decorator';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** X-API-Key auth (api.md): missing/unknown key → 401, wrong scope → 403; no keys configured → open. */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly keys: Array<{ digest: Buffer; scopes: ReadonlySet<Scope> }>;

  constructor(
    private readonly reflector: Reflector,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    // Keys are compared as digests in constant time and never kept or logged in clear beyond this point.
    this.keys = (config.apiKeys ?? []).map((k) => ({ digest: digest(k.key), scopes: k.scopes }));
    if (this.keys.length === 0) {
      new Logger('Auth').warn('API_KEYS is not set: the API is open to anyone who can reach it.');
    }
  }

  canActivate(context: ExecutionContext): boolean {
    const scope = this.reflector.getAllAndOverride<Scope | undefined>(SCOPE_KEY, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (!scope || this.keys.length === 0) return true;
    const req = context.switchToHttp().getRequest<{ headers: IncomingHttpHeaders }>();
    const header = req.headers['x-api-key'];
    const presented = Array.isArray(header) ? header[0] : header;
    if (!presented) throw new ProblemException(401, 'Missing X-API-Key header.');
    const d = digest(presented);
    const match = this.keys.find((k) => timingSafeEqual(k.digest, d));
    if (!match) throw new ProblemException(401, 'Unknown API key.');
    if (!match.scopes.has(scope)) {
      throw new ProblemException(403, `This API key lacks the "${scope}" scope this endpoint requires.`);
    }
    return true;
  }
}
