/**
 * Whether a fine-tuned candidate replaces the model in service. "Better" means strictly better: with the
 * default required gain of 0 a tie keeps the model that already serves, so a re-run that learnt nothing new
 * does not re-project and republish the whole index for the same quality.
 */
export function candidateWins(input: {
  candidateNdcg: number;
  activeNdcg: number;
  minGain: number;
  validationCases: number;
}): boolean {
  if (input.validationCases <= 0) return false;
  return input.candidateNdcg > input.activeNdcg + input.minGain;
}
