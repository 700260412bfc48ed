import { ConfigError, loadConfig } from './config.schema';

describe('loadConfig', () => {
  it('applies defaults on an empty environment', () => {
    const c = loadConfig({});
    expect(c.port).toBe(3000);
    expect(c.databaseUrl).toBeUndefined();
    expect(c.apiKeys).toBeUndefined();
    expect(c.bodyLimit).toBe('5mb');
    expect(c.migrationsRun).toBe(true);
  });

  it('parses API keys with scopes', () => {
    const c = loadConfig({ API_KEYS: 'k1:read,k2:read+write+admin' });
    expect(c.apiKeys?.map((k) => [k.key, [...k.scopes].sort()])).toEqual([
      ['k1', ['read']],
      ['k2', ['admin', 'read', 'write']],
    ]);
  });

  it('names the bad variable and never echoes a key', () => {
    expect(() => loadConfig({ API_KEYS: 'secret-key:root' })).toThrow(ConfigError);
    try {
      loadConfig({ API_KEYS: 'secret-key:root', PORT: 'abc' });
    } catch (e) {
      const msg = (e as Error).message;
      expect(msg).toContain('API_KEYS');
      expect(msg).toContain('PORT');
      expect(msg).not.toContain('secret-key');
    }
  });

  it('rejects a non-postgres DATABASE_URL and a bad boolean', () => {
    expect(() => loadConfig({ DATABASE_URL: 'mysql://x' })).toThrow(/DATABASE_URL/);
    expect(() => loadConfig({ MIGRATIONS_RUN: 'maybe' })).toThrow(/MIGRATIONS_RUN/);
  });
});

describe('LOG_FORMAT', () => {
  it('defaults to auto and takes json or pretty', () => {
    expect(loadConfig({}).logFormat).toBe('auto');
    expect(loadConfig({ LOG_FORMAT: 'pretty' }).logFormat).toBe('pretty');
  });

  it('refuses anything else, naming the variable', () => {
    expect(() => loadConfig({ LOG_FORMAT: 'xml' })).toThrow(/LOG_FORMAT/);
  });
});
