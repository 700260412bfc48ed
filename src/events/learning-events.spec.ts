import { learnedTypeOf, typesFrom, type TypeCounts } from './learning-events';

const counts = (c: Partial<TypeCounts>): TypeCounts => ({
  purchase: 0,
  rating: 0,
  add_to_cart: 0,
  view: 0,
  ...c,
});

describe('learnedTypeOf (LEARN_FROM=auto)', () => {
  it('takes the strongest type whose events, with the stronger ones, reach the share of all learnable events', () => {
    expect(learnedTypeOf(counts({ purchase: 10, view: 90 }), 0.1)).toBe('purchase');
    expect(learnedTypeOf(counts({ purchase: 9, view: 91 }), 0.1)).toBe('view');
    // Purchases and ratings together reach it: ratings with purchases, not the views.
    expect(learnedTypeOf(counts({ purchase: 5, rating: 5, view: 90 }), 0.1)).toBe('rating');
    expect(learnedTypeOf(counts({ purchase: 3, add_to_cart: 7, view: 90 }), 0.1)).toBe('add_to_cart');
    expect(learnedTypeOf(counts({ rating: 1 }), 0.1)).toBe('rating');
    expect(learnedTypeOf(counts({ view: 1 }), 0.1)).toBe('view');
  });

  it('with share 0 takes the strongest type present; with share 1 the weakest; an empty log has none', () => {
    expect(learnedTypeOf(counts({ purchase: 1, view: 10_000 }), 0)).toBe('purchase');
    expect(learnedTypeOf(counts({ purchase: 9_000, add_to_cart: 1 }), 1)).toBe('add_to_cart');
    expect(learnedTypeOf(counts({}), 0.1)).toBeUndefined();
  });

  it('a type learned from brings every stronger type with it', () => {
    expect(typesFrom('add_to_cart')).toEqual(['purchase', 'rating', 'add_to_cart']);
  });
});
