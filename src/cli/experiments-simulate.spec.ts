import { parseVariant } from './simulate/variants';

describe('experiments:simulate variant flags', () => {
  it('takes a variant as JSON and keeps what the server validates (rules, strategy, modelVersion)', () => {
    const v = parseVariant(
      'treatment',
      '{"id":"cheap","rules":[{"action":"boost","match":{"price":{"$lt":2}},"weight":1.5}]}',
    );
    expect(v).toEqual({
      id: 'cheap',
      rules: [{ action: 'boost', match: { price: { $lt: 2 } }, weight: 1.5 }],
    });
    expect(parseVariant('control', '{"id":"v3","modelVersion":3}')).toEqual({ id: 'v3', modelVersion: 3 });
  });

  it('refuses what is not an object with an id, naming the flag', () => {
    expect(() => parseVariant('control', 'engine')).toThrow('--control must be a JSON object');
    expect(() => parseVariant('control', '[]')).toThrow('--control must be a JSON object');
    expect(() => parseVariant('treatment', '{"strategy":"popular"}')).toThrow('--treatment needs an "id"');
    expect(() => parseVariant('treatment', '{"id":""}')).toThrow('--treatment needs an "id"');
  });
});
