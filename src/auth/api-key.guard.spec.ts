import { Logger } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { loadConfig } from '../config/config.schema';
import { ApiKeyGuard } from './api-key.guard';

describe('ApiKeyGuard start-up warning', () => {
  let warn: jest.SpyInstance;
  beforeEach(() => {
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => warn.mockRestore());

  const opened = () =>
    (warn.mock.calls as unknown[][]).filter(([m]) => String(m).includes('API_KEYS is not set'));

  it('a server without API_KEYS says at start-up that its API is open', () => {
    new ApiKeyGuard(new Reflector(), loadConfig({}), true);
    expect(opened()).toHaveLength(1);
  });

  it('a command or a job process (no HTTP) does not repeat it', () => {
    new ApiKeyGuard(new Reflector(), loadConfig({}), false);
    expect(opened()).toHaveLength(0);
  });

  it('a server with keys says nothing of the kind', () => {
    new ApiKeyGuard(new Reflector(), loadConfig({ API_KEYS: 'k1:admin' }), true);
    expect(opened()).toHaveLength(0);
  });
});
