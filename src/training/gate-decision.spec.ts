import { candidateWins } from './gate-decision';

const judge = (candidateNdcg: number, activeNdcg: number, minGain = 0, validationCases = 40) =>
  candidateWins({ candidateNdcg, activeNdcg, minGain, validationCases });

describe('candidateWins (the fine-tune gate)', () => {
  it('accepts a better candidate with the default required gain of 0', () => {
    expect(judge(0.31, 0.3)).toBe(true);
  });

  it('refuses a tie: "better" is strict', () => {
    expect(judge(0.3, 0.3)).toBe(false);
  });

  it('refuses a worse candidate', () => {
    expect(judge(0.29, 0.3)).toBe(false);
  });

  it('requires more than the configured gain', () => {
    expect(judge(0.34, 0.3, 0.05)).toBe(false);
    expect(judge(0.36, 0.3, 0.05)).toBe(true);
  });

  it('accepts a worse candidate only when the gain allows it (a negative threshold)', () => {
    expect(judge(0.29, 0.3, -0.02)).toBe(true);
  });

  it('refuses without validation cases whatever the scores', () => {
    expect(judge(0.9, 0, 0, 0)).toBe(false);
  });
});
