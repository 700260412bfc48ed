import { Controller, Get, Headers, Inject } from '@nestjs/common';
import { ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import type { Scope } from '../config/config.schema';
import { ProblemException } from '../common/problem';
import { ApiKeys } from './api-keys';

const ALL_SCOPES: Scope[] = ['read', 'write', 'admin'];

/**
 * Which scopes the presented key carries, and whether the server runs open (no API_KEYS): lets a client such as
 * the dashboard check a key at sign-in and say up front which pages it cannot use. Public like /health: it
 * reveals nothing about keys other than the one presented.
 */
@ApiTags('auth')
@ApiSecurity('api-key')
@Controller('v1/auth')
export class WhoamiController {
  private readonly keys: ApiKeys;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.keys = new ApiKeys(config.apiKeys);
  }

  @Get('whoami')
  @ApiOperation({
    summary: "The presented key's scopes; `open: true` when no keys are configured (every request allowed)",
  })
  whoami(@Headers('x-api-key') header: string | undefined): { open: boolean; scopes: Scope[] } {
    const check = this.keys.check(header);
    switch (check.kind) {
      case 'open':
        return { open: true, scopes: ALL_SCOPES };
      case 'missing':
        throw new ProblemException(401, 'Missing X-API-Key header.');
      case 'unknown':
        throw new ProblemException(401, 'Unknown API key.');
      case 'key':
        return { open: false, scopes: ALL_SCOPES.filter((s) => check.scopes.has(s)) };
    }
  }
}
