import { arrayLiteral, copyField, copyRows, SERVED_LIST_COPY_COLUMNS } from './served-lists.copy';
import type { ServedList } from './served-lists.repository';

describe('COPY text of served lists', () => {
  it('escapes only what the text format reads specially', () => {
    expect(copyField('plain-id 42')).toBe('plain-id 42');
    expect(copyField('a\\b')).toBe('a\\\\b');
    expect(copyField('tab\there')).toBe('tab\\there');
    expect(copyField('line\nbreak\r')).toBe('line\\nbreak\\r');
    expect(copyField('\\N')).toBe('\\\\N');
  });

  it('quotes every array element, escaping its quotes and backslashes', () => {
    expect(arrayLiteral([])).toBe('{}');
    expect(arrayLiteral(['a', 'NULL', 'x,y', '{z}', ' '])).toBe('{"a","NULL","x,y","{z}"," "}');
    expect(arrayLiteral(['say "hi"', 'c:\\dir'])).toBe('{"say \\"hi\\"","c:\\\\dir"}');
  });

  it('writes one line per list, a field per column, NULL as \\N', () => {
    const list: ServedList = {
      recommId: 'r1',
      source: 'session',
      isPlacement: true,
      userId: null,
      sessionId: 's\t1',
      variant: null,
      experimentId: null,
      itemTeams: null,
      modelVersion: 'v1',
      strategy: 'session-blend',
      itemIds: ['a', 'b\\c'],
      servedAt: Date.UTC(2026, 11, 5, 10, 30, 0, 123),
    };
    const text = copyRows([list, { ...list, recommId: 'r2', isPlacement: false, itemTeams: ['A', 'B'] }]);
    const lines = text.split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe('');
    const fields = lines[0].split('\t');
    expect(fields).toHaveLength(SERVED_LIST_COPY_COLUMNS.length);
    expect(fields).toEqual([
      'r1',
      'session',
      't',
      '\\N',
      's\\t1',
      '\\N',
      'v1',
      'session-blend',
      '{"a","b\\\\\\\\c"}',
      '2026-12-05T10:30:00.123Z',
      '\\N',
      '\\N',
    ]);
    expect(lines[1].split('\t')[2]).toBe('f');
    expect(lines[1].split('\t')[11]).toBe('{"A","B"}');
  });
});
