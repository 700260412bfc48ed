import type { AppConfig } from './config.schema';

/** Injection token for the validated config object (a plain object, so it is trivially faked in specs). */
export const APP_CONFIG = Symbol('APP_CONFIG');
export type { AppConfig };
