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

  it('runs a server’s fine-tune in a child process unless FINETUNE_PROCESS=inline', () => {
    expect(loadConfig({}).finetune.process).toBe('child');
    expect(loadConfig({ FINETUNE_PROCESS: 'inline' }).finetune.process).toBe('inline');
    expect(() => loadConfig({ FINETUNE_PROCESS: 'thread' })).toThrow(/FINETUNE_PROCESS/);
  });

  it('bounds each model’s training at 60 minutes unless FINETUNE_MAX_TRAINING_MINUTES says otherwise', () => {
    expect(loadConfig({}).finetune.maxTrainingMinutes).toBe(60);
    expect(loadConfig({ FINETUNE_MAX_TRAINING_MINUTES: '0' }).finetune.maxTrainingMinutes).toBe(0);
    expect(loadConfig({ FINETUNE_MAX_TRAINING_MINUTES: '7.5' }).finetune.maxTrainingMinutes).toBe(7.5);
    expect(() => loadConfig({ FINETUNE_MAX_TRAINING_MINUTES: '-1' })).toThrow(
      /FINETUNE_MAX_TRAINING_MINUTES/,
    );
  });

  it('runs a server’s reindex in a child process unless REINDEX_PROCESS=inline', () => {
    expect(loadConfig({}).reindexProcess).toBe('child');
    expect(loadConfig({ REINDEX_PROCESS: 'inline' }).reindexProcess).toBe('inline');
    expect(() => loadConfig({ REINDEX_PROCESS: 'thread' })).toThrow(/REINDEX_PROCESS/);
  });

  it('runs a server’s co-purchase job in a child process unless COPURCHASE_PROCESS=inline', () => {
    expect(loadConfig({}).copurchaseProcess).toBe('child');
    expect(loadConfig({ COPURCHASE_PROCESS: 'inline' }).copurchaseProcess).toBe('inline');
    expect(() => loadConfig({ COPURCHASE_PROCESS: 'thread' })).toThrow(/COPURCHASE_PROCESS/);
  });

  it('damps co-purchase buyers by their items and leaves out the biggest, each knob checked', () => {
    expect(loadConfig({}).copurchaseBuyers).toEqual({ damping: 1, maxItems: 5000 });
    expect(
      loadConfig({ COPURCHASE_BUYER_DAMPING: '0.5', COPURCHASE_MAX_BUYER_ITEMS: '0' }).copurchaseBuyers,
    ).toEqual({ damping: 0.5, maxItems: 0 });
    expect(() => loadConfig({ COPURCHASE_BUYER_DAMPING: '-1' })).toThrow(/COPURCHASE_BUYER_DAMPING/);
    expect(() => loadConfig({ COPURCHASE_MAX_BUYER_ITEMS: '2.5' })).toThrow(/COPURCHASE_MAX_BUYER_ITEMS/);
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

  /** The message loadConfig stops the process with, or undefined when the environment is accepted. */
  const refusal = (env: NodeJS.ProcessEnv): string | undefined => {
    try {
      loadConfig(env);
      return undefined;
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      return (e as Error).message;
    }
  };

  it.each([
    ['empty', ''],
    ['blank', '   '],
    ['only a comma', ','],
    ['a trailing comma', 'k1:read,'],
    ['a leading comma', ',k1:read'],
    ['an empty entry between two keys', 'k1:read,,k2:admin'],
  ])('stops on an API_KEYS that is set but %s, naming it (open mode needs it unset)', (_, value) => {
    expect(refusal({ API_KEYS: value })).toMatch(/API_KEYS/);
  });

  it('stops on a key given twice, naming the variable and the entries, never the key', () => {
    const msg = refusal({ API_KEYS: 'dup-secret:read,other:write,dup-secret:admin' });
    expect(msg).toMatch(/API_KEYS/);
    expect(msg).toMatch(/entry 3 repeats the key of entry 1/);
    expect(msg).not.toContain('dup-secret');
    expect(refusal({ API_KEYS: 'k:read,k:admin' })).toMatch(/API_KEYS/);
  });

  it.each([
    ['an unknown scope', 'k1:root'],
    ['a misspelt scope among good ones', 'k1:read+wirte'],
    ['an empty scope', 'k1:read+'],
    ['no scope', 'k1'],
    ['no key', ':read'],
    ['a key with inner whitespace', 'my key:read'],
  ])('stops on %s in API_KEYS', (_, value) => {
    expect(refusal({ API_KEYS: value })).toMatch(/API_KEYS/);
  });

  it('runs open only when API_KEYS is unset, and trims around entries', () => {
    expect(loadConfig({}).apiKeys).toBeUndefined();
    expect(loadConfig({ API_KEYS: ' k1:read , k2:admin ' }).apiKeys?.map((k) => k.key)).toEqual(['k1', 'k2']);
  });

  it('reads the database limits and refuses non-positive ones', () => {
    expect(loadConfig({}).database).toEqual({
      poolMax: 10,
      connectTimeoutMs: 5000,
      statementTimeoutMs: 30000,
    });
    expect(
      loadConfig({ DB_POOL_MAX: '4', DB_CONNECT_TIMEOUT_MS: '250', DB_STATEMENT_TIMEOUT_MS: '1000' })
        .database,
    ).toEqual({ poolMax: 4, connectTimeoutMs: 250, statementTimeoutMs: 1000 });
    expect(refusal({ DB_POOL_MAX: '0' })).toMatch(/DB_POOL_MAX/);
    expect(refusal({ DB_CONNECT_TIMEOUT_MS: '-1' })).toMatch(/DB_CONNECT_TIMEOUT_MS/);
    expect(refusal({ DB_STATEMENT_TIMEOUT_MS: 'soon' })).toMatch(/DB_STATEMENT_TIMEOUT_MS/);
  });

  it('reads the list cache bounds as counts and byte sizes', () => {
    const c = loadConfig({ RECS_CACHE_MAX_BYTES: '1gb', RECS_CACHE_MAX_BYTES_PER_USER: '64kb' });
    expect(c.recsCacheMaxBytes).toBe(1024 ** 3);
    expect(c.recsCacheMaxBytesPerUser).toBe(65_536);
    expect(loadConfig({}).recsCacheMaxListsPerUser).toBe(16);
    expect(refusal({ RECS_CACHE_MAX_BYTES: '64' })).toMatch(/RECS_CACHE_MAX_BYTES/);
    expect(refusal({ RECS_CACHE_MAX_BYTES_PER_USER: '0kb' })).toMatch(/RECS_CACHE_MAX_BYTES_PER_USER/);
    expect(refusal({ RECS_CACHE_MAX_LISTS_PER_USER: '0' })).toMatch(/RECS_CACHE_MAX_LISTS_PER_USER/);
    expect(refusal({ RECS_CACHE_MAX_LISTS: 'many' })).toMatch(/RECS_CACHE_MAX_LISTS/);
  });

  it('reads the session set cache bound as a byte size, 0 turning it off', () => {
    expect(loadConfig({}).recsSessionCacheMaxBytes).toBe(64 * 1024 ** 2);
    expect(loadConfig({ RECS_SESSION_CACHE_MAX_BYTES: '16mb' }).recsSessionCacheMaxBytes).toBe(
      16 * 1024 ** 2,
    );
    expect(loadConfig({ RECS_SESSION_CACHE_MAX_BYTES: '0' }).recsSessionCacheMaxBytes).toBe(0);
    expect(refusal({ RECS_SESSION_CACHE_MAX_BYTES: '-1mb' })).toMatch(/RECS_SESSION_CACHE_MAX_BYTES/);
    expect(refusal({ RECS_SESSION_CACHE_MAX_BYTES: 'lots' })).toMatch(/RECS_SESSION_CACHE_MAX_BYTES/);
  });

  it('holds a session set from the second ask of its cart unless told the first', () => {
    expect(loadConfig({}).recsSessionCacheHoldFrom).toBe(2);
    expect(loadConfig({ RECS_SESSION_CACHE_HOLD_FROM: '1' }).recsSessionCacheHoldFrom).toBe(1);
    for (const bad of ['0', '3', '1.5', 'first'])
      expect(refusal({ RECS_SESSION_CACHE_HOLD_FROM: bad })).toMatch(/RECS_SESSION_CACHE_HOLD_FROM/);
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

describe('LOG_REQUEST_CONTEXT', () => {
  it('defaults to off and takes on', () => {
    expect(loadConfig({}).logRequestContext).toBe('off');
    expect(loadConfig({ LOG_REQUEST_CONTEXT: 'on' }).logRequestContext).toBe('on');
    expect(() => loadConfig({ LOG_REQUEST_CONTEXT: 'yes' })).toThrow(/LOG_REQUEST_CONTEXT/);
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
