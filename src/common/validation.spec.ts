import { listQuerySchema, userQuerySchema } from '../recommendations/dto/options.schema';
import { ProblemException } from './problem';
import { parseOrThrow, parseQueryOrThrow } from './validation';

function problemOf(f: () => unknown): ProblemException {
  try {
    f();
  } catch (e) {
    if (e instanceof ProblemException) return e;
    throw e;
  }
  throw new Error('no problem was thrown');
}

describe('parseQueryOrThrow', () => {
  const queries: Array<Record<string, string>> = [
    {},
    { limit: '5' },
    { limit: '20', category: 'Home/Lighting', minPrice: '1.5', maxPrice: '9' },
    { exclude: 'a,b, c', explain: 'true', inStockOnly: 'false', diversity: '0.3' },
    { includeItems: 'true' },
  ];

  it('answers as parseOrThrow does, the first time and when the query string comes again', () => {
    for (const q of queries) {
      const expected = parseOrThrow(listQuerySchema, q);
      expect(parseQueryOrThrow(listQuerySchema, q)).toEqual(expected);
      expect(parseQueryOrThrow(listQuerySchema, { ...q })).toEqual(expected);
    }
    expect(parseQueryOrThrow(listQuerySchema, { limit: '5' }).limit).toBe(5);
    expect(parseQueryOrThrow(listQuerySchema, {}).limit).toBe(10);
  });

  it('holds one frozen result per schema and query string', () => {
    const first = parseQueryOrThrow(listQuerySchema, { exclude: 'x,y' });
    expect(parseQueryOrThrow(listQuerySchema, { exclude: 'x,y' })).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(Object.isFrozen(first.exclude)).toBe(true);
    expect(() => first.exclude.push('z')).toThrow(TypeError);
    // Another schema parses the same query string its own way.
    const forUser = parseQueryOrThrow(userQuerySchema, { exclude: 'x,y' });
    expect(forUser).not.toBe(first);
    expect(forUser.excludePurchased).toBe(false);
  });

  it('refuses a bad query every time, naming the field', () => {
    for (let i = 0; i < 2; i++) {
      const p = problemOf(() => parseQueryOrThrow(listQuerySchema, { limit: 'many' }));
      expect(p.getStatus()).toBe(400);
      expect(JSON.stringify(p.getResponse())).toContain('limit');
    }
  });

  it('parses a query with repeated or nested values each time, and still refuses it', () => {
    for (let i = 0; i < 2; i++)
      expect(problemOf(() => parseQueryOrThrow(listQuerySchema, { limit: ['1', '2'] })).getStatus()).toBe(
        400,
      );
  });

  it('keeps answering right after more query strings than it holds', () => {
    for (let n = 1; n <= 600; n++)
      expect(parseQueryOrThrow(listQuerySchema, { limit: String((n % 100) + 1), exclude: `i${n}` })).toEqual(
        parseOrThrow(listQuerySchema, { limit: String((n % 100) + 1), exclude: `i${n}` }),
      );
  });
});
