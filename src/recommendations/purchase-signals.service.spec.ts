import { Logger } from '@nestjs/common';
import { Subject } from 'rxjs';
import type { DataSource } from 'typeorm';
import { loadConfig } from '../config/config.schema';
import type { CopurchaseJob } from '../copurchase/copurchase.job';
import type { CopurchaseRepository } from '../copurchase/copurchase.repository';
import type { LearningEvents } from '../events/learning-events.service';
import { ShopClock } from '../events/shop-clock';
import type { UserChanges } from '../events/user-changes';
import { PurchaseSignalsService } from './purchase-signals.service';

describe('PurchaseSignalsService, a co-purchase load that fails', () => {
  // A server's service whose stored neighbours are read from a database that fails when the test says so.
  function setup() {
    let fail!: (e: Error) => void;
    const store = {
      current: () =>
        new Promise((_, reject) => {
          fail = reject;
        }),
    } as unknown as CopurchaseRepository;
    const built$ = new Subject<void>();
    const service = new PurchaseSignalsService(
      {} as DataSource,
      loadConfig({}),
      true,
      store,
      {} as LearningEvents,
      new ShopClock(),
      { built$ } as unknown as CopurchaseJob,
      { activity$: new Subject() } as unknown as UserChanges,
    );
    const error = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const debug = jest.spyOn(Logger.prototype, 'debug').mockImplementation(() => undefined);
    // The co-purchase job built: the service starts loading what it stored.
    built$.next();
    const settle = () => new Promise((r) => setImmediate(r));
    // The load reads the store once the loads queued before it are done: a turn of the event loop.
    return { service, fail: (e: Error) => settle().then(() => fail(e)), error, debug, settle };
  }

  afterEach(() => jest.restoreAllMocks());

  it('is an error while the server runs', async () => {
    const { fail, error, debug, settle } = setup();
    await fail(new Error('Connection terminated'));
    await settle();
    expect(error).toHaveBeenCalledWith('co-purchase load failed: Connection terminated');
    expect(debug).not.toHaveBeenCalled();
  });

  it('is no error when the server is closing: the database goes away under it', async () => {
    const { service, fail, error, debug, settle } = setup();
    service.onModuleDestroy();
    await fail(new Error('Connection terminated'));
    await settle();
    expect(error).not.toHaveBeenCalled();
    expect(debug).toHaveBeenCalledWith(
      'co-purchase load failed: Connection terminated (the server is closing)',
    );
  });
});
