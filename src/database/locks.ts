/**
 * Every PostgreSQL advisory-lock key Aisle takes, in one place, so two features can never pick the same
 * number by accident. Keys are 32-bit and start with "AI" (0x4149) to stay clear of other applications
 * sharing the server.
 */
export const AdvisoryLock = {
  /** Replicas starting together run migrations one at a time. */
  Migrations: 0x4149534c, // "AISL"
  /**
   * Serialises everything that re-projects and publishes the index (fine-tune activation, rollback): held from
   * the rebuild for a version until that version is marked active.
   */
  IndexActivation: 0x41495358, // "AISX"
  /** One process at a time brings the daily analytics rollups up to date. */
  AnalyticsRollup: 0x41495241, // "AIRA"
} as const;

export type AdvisoryLockKey = (typeof AdvisoryLock)[keyof typeof AdvisoryLock] | JobKindLockKey;

/** A key derived from a job kind: one running job per kind across replicas. */
export type JobKindLockKey = number & { readonly jobKind: unique symbol };

/** Stable 32-bit key per job kind ("one runner per kind" across replicas). */
export function jobKindLock(kind: string): JobKindLockKey {
  let h = 0x41490000;
  for (let i = 0; i < kind.length; i++) h = (Math.imul(h, 31) + kind.charCodeAt(i)) | 0;
  return h as JobKindLockKey;
}
