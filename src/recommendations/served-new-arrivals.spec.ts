import type { ItemMeta } from '../catalog/catalog-snapshot';
import { PurchaseSignals } from '../ranking/purchase-signals';
import { ServedNewArrivals, SYNC_BUILD_ITEMS, type CatalogDates } from './served-new-arrivals';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 5, 30, 12);

/** A catalog snapshot by hand: its dates, a generation bumped by every write, and how often it was scanned. */
class FakeCatalog implements CatalogDates {
  generation = 0;
  scans = 0;
  /** Called on every scan (a test's clock advancing by what a scan takes). */
  onScan?: () => void;
  /** The size the catalog claims (a large catalog's rules with a few items); its own count when unset. */
  claimedSize?: number;
  private readonly items = new Map<string, ItemMeta>();

  get size(): number {
    return this.claimedSize ?? this.items.size;
  }

  put(id: string, availableFrom: number): void {
    this.items.set(id, { title: id, category: null, price: null, inStock: true, availableFrom });
    this.generation += 1;
  }

  entries(): Iterable<[string, ItemMeta]> {
    this.scans += 1;
    this.onScan?.();
    return this.items.entries();
  }
}

const signalsSelling = (...ids: string[]) =>
  PurchaseSignals.fromPairs(
    ids.map((itemId) => ({ userId: 'u1', itemId, rows: 1, lastAt: new Date(NOW - DAY) })),
    new Date(NOW),
  );

describe('ServedNewArrivals', () => {
  let clock = 0;
  let catalog: FakeCatalog;
  let served: ServedNewArrivals;
  beforeEach(() => {
    clock = 0;
    catalog = new FakeCatalog();
    catalog.put('new', NOW - 2 * DAY);
    catalog.put('dead', NOW - 200 * DAY);
    catalog.put('sold', NOW - 3 * DAY);
    served = new ServedNewArrivals(catalog, 30, () => clock);
  });

  it("rebuilds a large catalog's slow pool in the background, serving the one it has until the new one is in place", async () => {
    catalog.claimedSize = SYNC_BUILD_ITEMS + 1;
    const signals = signalsSelling('sold');
    const turns: Array<() => void> = [];
    served = new ServedNewArrivals(
      catalog,
      30,
      () => clock,
      () => new Promise<void>((resolve) => turns.push(resolve)),
    );
    // Every scanned item costs the test's clock 20 ms: far slower than a build served at once may be.
    const each = 20;
    const entries = catalog.entries.bind(catalog);
    catalog.entries = () => {
      const it = entries();
      return (function* () {
        for (const e of it) {
          clock += each;
          yield e;
        }
      })();
    };
    // No pool yet: built at once.
    expect(served.idsAt(NOW, signals)).toEqual(['new']);
    catalog.put('newer', NOW - DAY);
    clock += 10_000;
    // Stale and slow: the old pool answers, and a rebuild starts in the background.
    expect(served.idsAt(NOW, signals)).toEqual(['new']);
    expect(served.idsAt(NOW, signals)).toEqual(['new']);
    // The build of 4 items awaits no turn (a slice is thousands of items); the new pool lands when it ends.
    while (turns.length > 0) turns.shift()!();
    await served.settled();
    expect(served.idsAt(NOW, signals)).toEqual(['new', 'newer']);
    expect(catalog.scans).toBe(2);
  });

  it('gives the unsold items inside the window and scans the catalog once while nothing changes', () => {
    const signals = signalsSelling('sold');
    expect(served.idsAt(NOW, signals)).toEqual(['new']);
    expect(served.idsAt(NOW + 60_000, signals)).toEqual(['new']);
    expect(catalog.scans).toBe(1);
  });

  it('rebuilds after a catalog write or new purchase signals', () => {
    const signals = signalsSelling('sold');
    served.idsAt(NOW, signals);
    catalog.put('newer', NOW - DAY);
    expect(served.idsAt(NOW, signals)).toEqual(['new', 'newer']);
    expect(served.idsAt(NOW, signalsSelling('sold', 'new'))).toEqual(['newer']);
    expect(catalog.scans).toBe(3);
  });

  it('rebuilds for a moment more than a day away, whatever changed (evaluation asks in the past)', () => {
    const signals = signalsSelling('sold');
    served.idsAt(NOW, signals);
    expect(served.idsAt(NOW - 190 * DAY, signals)).toEqual(['dead']);
    expect(catalog.scans).toBe(2);
  });

  it("rebuilds a small catalog's pool at once after a change, however slow its last build (a cold start)", () => {
    const signals = signalsSelling('sold');
    // The first build takes 50 ms of the test's clock (cold code on a busy machine), the next ones 1 ms.
    catalog.onScan = () => (clock += catalog.scans === 1 ? 50 : 1);
    expect(served.idsAt(NOW, signals)).toEqual(['new']);
    catalog.put('newer', NOW - DAY);
    clock += 1;
    expect(served.idsAt(NOW, signals)).toEqual(['new', 'newer']);
    catalog.put('newest', NOW - DAY / 2);
    expect(served.idsAt(NOW, signals)).toEqual(['new', 'newer', 'newest']);
    expect(catalog.scans).toBe(3);
  });

  it("spaces a large catalog's rebuilds after changes by ten times the last build, so a burst of writes shares one", () => {
    catalog.claimedSize = SYNC_BUILD_ITEMS + 1;
    const signals = signalsSelling('sold');
    catalog.onScan = () => (clock += 5);
    served.idsAt(NOW, signals);
    catalog.put('newer', NOW - DAY);
    clock += 49;
    expect(served.idsAt(NOW, signals)).toEqual(['new']);
    clock += 1;
    expect(served.idsAt(NOW, signals)).toEqual(['new', 'newer']);
  });
});
