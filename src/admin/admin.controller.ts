import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { RequireScope } from '../auth/scopes.decorator';
import { StatsService } from './stats.service';

@ApiTags('admin')
@ApiSecurity('api-key')
@Controller('v1/admin')
export class AdminController {
  constructor(private readonly stats: StatsService) {}

  @Get('stats')
  @RequireScope('admin')
  @ApiOperation({ summary: 'Counts of items, users and events; index and active model' })
  get(): Promise<Record<string, unknown>> {
    return this.stats.stats();
  }
}
