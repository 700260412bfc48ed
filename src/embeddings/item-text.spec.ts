import { DESCRIPTION_MAX_CHARS, itemText, textHash } from './item-text';

describe('itemText', () => {
  it('is exactly the title when there is nothing else', () => {
    expect(itemText({ title: 'WHITE HANGING HEART T-LIGHT HOLDER' })).toBe(
      'WHITE HANGING HEART T-LIGHT HOLDER',
    );
    expect(
      itemText({ title: 'LUNCH BAG RED RETROSPOT', description: null, category: null, brand: null }),
    ).toBe('LUNCH BAG RED RETROSPOT');
  });

  it('puts the title first, then brand, category path and description', () => {
    expect(
      itemText({
        title: 'Desk lamp',
        brand: 'Lumo',
        category: 'Home/Lighting/Desk lamps',
        description: 'An adjustable LED lamp.',
      }),
    ).toBe('Desk lamp. Brand: Lumo. Category: Home > Lighting > Desk lamps. An adjustable LED lamp.');
  });

  it('skips empty parts and does not double the full stop after a title that has one', () => {
    expect(
      itemText({ title: 'RED WOOLLY HOTTIE WHITE HEART.', brand: '  ', category: '/Home//Textiles/' }),
    ).toBe('RED WOOLLY HOTTIE WHITE HEART. Category: Home > Textiles');
  });

  it('collapses whitespace so spacing-only edits keep the same text', () => {
    expect(itemText({ title: ' JUMBO  BAG\tBAROQUE  ' })).toBe('JUMBO BAG BAROQUE');
    expect(textHash(itemText({ title: 'A  B' }))).toBe(textHash(itemText({ title: 'A B' })));
  });

  it('drops HTML tags from the description and cuts it at a word boundary', () => {
    const words = Array.from({ length: 200 }, (_, i) => `word${i}`).join(' ');
    const text = itemText({ title: 'Mug', description: `<p>Stoneware <b>mug</b>.</p> ${words}` });
    expect(text.startsWith('Mug. Stoneware mug. word0 word1')).toBe(true);
    const description = text.slice('Mug. '.length);
    expect(description.length).toBeLessThanOrEqual(DESCRIPTION_MAX_CHARS);
    expect(description).toMatch(/ word\d+$/);
    expect(words).toContain(description.slice(description.indexOf('word0')));
  });

  it('cuts a description without spaces hard instead of dropping it', () => {
    const text = itemText({ title: 'Part', description: 'x'.repeat(1000) });
    expect(text).toBe(`Part. ${'x'.repeat(DESCRIPTION_MAX_CHARS)}`);
  });
});

describe('textHash', () => {
  it('is the sha256 hex of the UTF-8 text', () => {
    expect(textHash('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(textHash('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(textHash('café')).not.toBe(textHash('cafe'));
    expect(textHash('PINK PAPER PARASOL')).toMatch(/^[0-9a-f]{64}$/);
  });
});
