import { SetMetadata } from '@nestjs/common';
import type { Scope } from '../config/config.schema';

export const SCOPE_KEY = 'aisle:scope';
/** The scope a route requires; routes without it (health, metrics, docs) are public. */
export const RequireScope = (scope: Scope) => SetMetadata(SCOPE_KEY, scope);
