import { byteSize, ConfigError, loadConfig } from './config.schema';

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

  it('reads JOBS_WORKER: on unless turned off, and refuses anything but a boolean', () => {
    expect(loadConfig({}).jobsWorker).toBe(true);
    expect(loadConfig({ JOBS_WORKER: 'false' }).jobsWorker).toBe(false);
    expect(() => loadConfig({ JOBS_WORKER: 'sometimes' })).toThrow(/JOBS_WORKER/);
  });
});

describe('byteSize', () => {
  it.each([
    ['5mb', 5_242_880],
    ['512kb', 524_288],
    ['1KB', 1024],
    ['1000000b', 1_000_000],
  ])('reads %s as %d bytes', (limit, bytes) => {
    expect(byteSize(limit)).toBe(bytes);
  });

  it('refuses a value without a unit', () => {
    expect(() => byteSize('5')).toThrow(ConfigError);
  });
});
