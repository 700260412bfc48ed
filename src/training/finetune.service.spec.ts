import { Logger } from '@nestjs/common';
import { loadConfig } from '../config/config.schema';
import type { CopurchaseResult } from '../copurchase/copurchase.job';
import type { EmbedResult } from '../embeddings/embeddings.service';
import { DEFAULT_BLEND } from '../ranking/blend';
import { DEFAULT_SIMILAR_BLEND } from '../ranking/similar-ranking';
import { DEFAULT_SESSION_BLEND } from '../ranking/session-ranking';
import { gateSignals, type GateInput, type GateResult } from './blend-gate';
import {
  FinetuneService,
  type FinetuneActivation,
  type FinetuneCopurchase,
  type FinetuneEmbeddings,
  type FinetuneInteractions,
  type FinetuneJobs,
  type FinetuneTrainer,
  type FinetuneVersions,
} from './finetune.service';
import type { Interaction } from './model/training-pairs';
import { ProjectionModel } from './model/projection-model';
import type { TrainResult } from './model/trainer';
import type { BackgroundRun } from './training-workers';

const NOW = new Date('2025-06-01T00:00:00Z');
const ITEMS = ['i1', 'i2', 'i3', 'i4', 'i5', 'i6'];
const DIM = 4;

function unitVector(i: number): Float32Array {
  const v = new Float32Array(DIM);
  v[i % DIM] = 1;
  v[(i + 1) % DIM] = 0.5;
  return v;
}

/**
 * Three shoppers with a history before the validation window and a basket inside it, and one who first came in
 * the window and bought twice there.
 */
function shopHistory(): Interaction[] {
  const events: Interaction[] = [];
  ['u1', 'u2', 'u3'].forEach((userId, u) => {
    events.push({ userId, itemId: ITEMS[u], timestamp: new Date('2025-04-01T10:00:00Z'), weight: 1 });
    events.push({ userId, itemId: ITEMS[u + 1], timestamp: new Date('2025-04-20T10:00:00Z'), weight: 0.3 });
    events.push({ userId, itemId: ITEMS[u + 2], timestamp: new Date('2025-05-28T10:00:00Z'), weight: 1 });
  });
  events.push({ userId: 'u4', itemId: 'i4', timestamp: new Date('2025-05-25T10:00:00Z'), weight: 1 });
  events.push({ userId: 'u4', itemId: 'i5', timestamp: new Date('2025-05-26T10:00:00Z'), weight: 1 });
  return [...events, ...TRAINING_SHOPPER];
}

/** A shopper with two baskets before the validation window (none in it): the training pair every gate needs. */
const TRAINING_SHOPPER: Interaction[] = [
  { userId: 't1', itemId: 'i1', timestamp: new Date('2025-04-02T10:00:00Z'), weight: 1 },
  { userId: 't1', itemId: 'i6', timestamp: new Date('2025-04-09T10:00:00Z'), weight: 1 },
];

const settled = <T>(value: T): BackgroundRun<T> => ({
  result: Promise.resolve(value),
  cancel: () => Promise.resolve(),
});

/** Hand-made fakes of the fine-tune's ports, each writing what it was asked into one shared log. */
function harness(opts: {
  candidateNdcg: number;
  activeNdcg: number;
  copurchaseFails?: boolean;
  history?: Interaction[];
  /** What the trainer reports as it trains ([step, totalSteps]) and the steps it took of the planned ones. */
  training?: { reports: Array<[number, number]>; steps: TrainResult['steps'] };
}) {
  const log: string[] = [];
  const inserted: Array<{ version: string; status: string; weights: Buffer | null }> = [];
  const tuned: GateInput[] = [];
  const retuned: Array<Record<string, unknown>> = [];
  const embeddings: FinetuneEmbeddings = {
    embedCatalog: () => {
      log.push('embed');
      return Promise.resolve({ embedded: 2 } as EmbedResult);
    },
    catalogVectors: () => {
      log.push('catalogVectors');
      return Promise.resolve({
        encoderId: 'enc@1',
        dimension: DIM,
        vectors: new Map(ITEMS.map((id, i) => [id, unitVector(i)])),
        live: new Map(),
      });
    },
  };
  const jobs: FinetuneJobs = {
    underKindLock: <T>(kind: string, fn: () => Promise<T>) => {
      log.push(`lock:${kind}`);
      return fn();
    },
  };
  const copurchase: FinetuneCopurchase = {
    compute: (asOf: Date) => {
      log.push(`copurchase@${asOf.toISOString()}`);
      return opts.copurchaseFails
        ? Promise.reject(new Error('disk full'))
        : Promise.resolve({ generation: 'g1' } as CopurchaseResult);
    },
  };
  const interactions: FinetuneInteractions = {
    before: (now: Date) => {
      log.push(`interactions<${now.toISOString()}`);
      return Promise.resolve(opts.history ?? shopHistory());
    },
    latestPurchaseAt: () => Promise.resolve(new Date('2025-05-28T10:00:00Z')),
    availableFrom: () => Promise.resolve(new Map()),
  };
  const versions: FinetuneVersions = {
    insert: (v) => {
      log.push(`insert:${v.status}`);
      inserted.push({ version: v.version, status: v.status, weights: v.weights });
      return Promise.resolve();
    },
    prune: (keep: number) => {
      log.push(`prune:${keep}`);
      return Promise.resolve();
    },
    storeRetunedBlends: (version, params) => {
      log.push(`retune:${version ?? 'raw'}`);
      retuned.push(params);
      return Promise.resolve();
    },
  };
  const activation: FinetuneActivation = {
    activeModel: () => undefined,
    activate: (version: string) => {
      log.push(`activate:${version}`);
      return Promise.resolve();
    },
    adoptRetunedBlends: () => {
      log.push('adopt-retuned');
      return Promise.resolve();
    },
  };
  const scores = [opts.candidateNdcg, opts.activeNdcg];
  const trainer: FinetuneTrainer = {
    train: (data, _options, onProgress) => {
      log.push(`train:${data.pairs.validation.target.length > 0 ? 'hold' : 'full'}`);
      for (const [step, totalSteps] of opts.training?.reports ?? [])
        onProgress?.({ epoch: 1, step, totalSteps, loss: 1 });
      const model = new ProjectionModel({ inputDim: DIM, dim: DIM, tau: 0.07 });
      return settled<TrainResult>({
        model,
        steps: opts.training?.steps ?? { done: 0, planned: 0 },
        initialValidationLoss: 1,
        epochs: [],
        seconds: 0,
      });
    },
    // What the gate's threads would build from the history: the real (pure) function, in-process.
    gateSignals: (history, at, buyers) => settled(gateSignals(history, at, buyers)),
    tune: (input) => {
      // Calls come candidate first, then the model in service (see the gate in FinetuneService).
      const ndcg = scores[tuned.length];
      // Each model's tuned blends are told apart by their cosine weight: 1 the candidate's, 2 the active one's.
      const mark = tuned.length + 1;
      tuned.push(input);
      log.push('tune');
      return settled<GateResult>({
        ndcg,
        weights: { ...DEFAULT_BLEND, cos: mark },
        discoveryWeights: { ...DEFAULT_BLEND, cos: mark },
        similar: { weights: DEFAULT_SIMILAR_BLEND, ndcg: 0, vectorOnlyNdcg: 0, cases: 0 },
        sessionWeights: { ...DEFAULT_SESSION_BLEND, cos: mark },
        sessionNdcg: ndcg / 2,
        sessionCases: 1,
      });
    },
  };
  const config = loadConfig({ FINETUNE_PARALLEL: 'false' });
  const service = new FinetuneService(
    config,
    versions,
    embeddings,
    jobs,
    copurchase,
    interactions,
    activation,
    trainer,
  );
  return { service, log, inserted, tuned, retuned };
}

describe('FinetuneService', () => {
  it('runs co-purchase, embedding, training and the gate in that order, then activates a better model', async () => {
    const { service, log, inserted, tuned } = harness({ candidateNdcg: 0.4, activeNdcg: 0.3 });
    const result = await service.nightly({ now: NOW, copurchase: true });

    expect(result.activated).toBe(true);
    expect(log).toEqual([
      'lock:copurchase',
      `copurchase@${NOW.toISOString()}`,
      'lock:reindex',
      'embed',
      'catalogVectors',
      `interactions<${NOW.toISOString()}`,
      'train:hold',
      'tune',
      'tune',
      'train:full',
      'insert:candidate',
      `activate:${result.version}`,
      'prune:5',
    ]);
    expect(inserted).toEqual([{ version: result.version, status: 'candidate', weights: expect.any(Buffer) }]);
    // Both models are judged on the same validation baskets: the three shoppers' baskets in the window.
    expect(tuned.map((t) => t.users.map((u) => u.userId))).toEqual([
      ['u1', 'u2', 'u3'],
      ['u1', 'u2', 'u3'],
    ]);
    // The session kind also gets the window's own cases: u4's second basket after its first.
    expect(tuned.map((t) => t.windowSessions)).toEqual([
      [{ session: ['i4'], targets: ['i5'] }],
      [{ session: ['i4'], targets: ['i5'] }],
    ]);
    expect(result.metrics).toMatchObject({
      validationNdcg: 0.4,
      activeValidationNdcg: 0.3,
      activeVersion: 'raw',
    });
    expect(result.embedded).toBe(2);
  });

  it('says when the time budget re-planned a model, as it happens and with its steps at the end', async () => {
    const { service, log } = harness({
      candidateNdcg: 0.4,
      activeNdcg: 0.3,
      training: {
        reports: [
          [1, 100],
          [5, 100],
          [6, 40],
          [40, 40],
        ],
        steps: { done: 40, planned: 100 },
      },
    });
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation((message: unknown) => {
      log.push(`warn:${String(message)}`);
    });
    try {
      const result = await service.finetune({ now: NOW });
      expect(result.metrics).toMatchObject({
        trainSteps: { done: 40, planned: 100 },
        fullTrainSteps: { done: 40, planned: 100 },
      });
    } finally {
      warn.mockRestore();
    }
    const budget = 'FINETUNE_MAX_TRAINING_MINUTES=60';
    // Once per model while it trains (the held-out one's before the gate's tuning), then its steps with the
    // job's metrics.
    expect(log.filter((l) => l.startsWith('train:') || l.startsWith('warn:') || l === 'tune')).toEqual([
      'train:hold',
      `warn:the held-out model's training was re-planned to 40 of 100 steps to fit ${budget}`,
      'tune',
      'tune',
      `warn:the held-out model stopped at ${budget} after 40 of 100 steps (40 %)`,
      'train:full',
      `warn:the full-history model's training was re-planned to 40 of 100 steps to fit ${budget}`,
      `warn:the full-history model stopped at ${budget} after 40 of 100 steps (40 %)`,
    ]);
  });

  it('refuses a tie with the default FINETUNE_MIN_GAIN of 0: stored as rejected, nothing activated', async () => {
    const { service, log, inserted } = harness({ candidateNdcg: 0.3, activeNdcg: 0.3 });
    const result = await service.finetune({ now: NOW });

    expect(result.activated).toBe(false);
    expect(result.reason).toMatch(/does not beat the active model's 0\.3000 by 0/);
    expect(inserted).toEqual([{ version: result.version, status: 'rejected', weights: null }]);
    expect(log.filter((e) => e.startsWith('activate') || e.startsWith('prune'))).toEqual([]);
    // The model trained on the full history is only needed once the gate accepts.
    expect(log).not.toContain('train:full');
  });

  it('keeps the model in service on a refusal with its blends re-tuned on the window, and adopts them', async () => {
    const { service, log, retuned } = harness({ candidateNdcg: 0.2, activeNdcg: 0.3 });
    const result = await service.finetune({ now: NOW });

    expect(result.activated).toBe(false);
    // The active model's blends (cosine weight 2), not the refused candidate's (1); the fake gate had no similar
    // case, so the similar blend is not replaced.
    expect(retuned).toEqual([
      {
        blend: { ...DEFAULT_BLEND, cos: 2 },
        discoveryBlend: { ...DEFAULT_BLEND, cos: 2 },
        sessionBlend: { ...DEFAULT_SESSION_BLEND, cos: 2 },
      },
    ]);
    expect(log.slice(log.indexOf('retune:raw'))).toEqual(['retune:raw', 'adopt-retuned', 'insert:rejected']);
    expect(result.metrics.retunedActiveBlends).toEqual(['blend', 'discoveryBlend', 'sessionBlend']);
    expect(result.reason).toMatch(
      /does not beat .*; the model in service keeps serving, its blend, discoveryBlend, sessionBlend re-tuned on this window$/,
    );
  });

  it('stores no re-tuned blends when the candidate wins: the new version carries its own', async () => {
    const { service, log, retuned } = harness({ candidateNdcg: 0.4, activeNdcg: 0.3 });
    const result = await service.finetune({ now: NOW });

    expect(result.activated).toBe(true);
    expect(retuned).toEqual([]);
    expect(log).not.toContain('adopt-retuned');
    expect(result.params.sessionBlend).toEqual({ ...DEFAULT_SESSION_BLEND, cos: 1 });
  });

  describe('on a shop whose window holds no shopper who bought before it', () => {
    // Two one-visit shoppers, each with two purchases inside the window and none before.
    const visits: Interaction[] = [
      ['v1', 'i1', '2025-05-25T10:00:00Z'],
      ['v1', 'i2', '2025-05-25T10:05:00Z'],
      ['v2', 'i3', '2025-05-26T10:00:00Z'],
      ['v2', 'i4', '2025-05-26T10:05:00Z'],
    ].map(([userId, itemId, at]): Interaction => ({ userId, itemId, timestamp: new Date(at), weight: 1 }));
    const history = [...visits, ...TRAINING_SHOPPER];

    it('lets the session lists decide the gate', async () => {
      const { service, tuned, inserted } = harness({ candidateNdcg: 0.4, activeNdcg: 0.3, history });
      const result = await service.finetune({ now: NOW });

      expect(tuned.map((t) => t.users)).toEqual([[], []]);
      expect(tuned[0].windowSessions).toEqual([
        { session: ['i1'], targets: ['i2'] },
        { session: ['i3'], targets: ['i4'] },
      ]);
      // The fake gate scores session lists at half the personalised number: 0.2 against 0.15.
      expect(result.activated).toBe(true);
      expect(result.metrics).toMatchObject({ gateKind: 'session', validationCases: 0 });
      expect(inserted.map((v) => v.status)).toEqual(['candidate']);
    });

    it('refuses a candidate whose session lists are worse, saying so', async () => {
      const { service, retuned } = harness({ candidateNdcg: 0.2, activeNdcg: 0.3, history });
      const result = await service.finetune({ now: NOW });

      expect(result.activated).toBe(false);
      expect(result.reason).toMatch(
        /^session validation NDCG@10 0\.1000 does not beat the active model's 0\.1500/,
      );
      // Only the session blend had cases to be tuned on: the personalised ones keep what serves.
      expect(retuned).toEqual([{ sessionBlend: { ...DEFAULT_SESSION_BLEND, cos: 2 } }]);
    });

    it('refuses a candidate trained on no pair (no shopper came back), whatever its NDCG', async () => {
      // Each visitor's purchases at one instant: one basket each, so no basket has a history to learn from.
      const oneBasketEach = visits.map((e) => ({
        ...e,
        timestamp: new Date(`${e.timestamp.toISOString().slice(0, 10)}T10:00:00Z`),
      }));
      const { service, inserted } = harness({ candidateNdcg: 0.4, activeNdcg: 0.3, history: oneBasketEach });
      const result = await service.finetune({ now: NOW });

      expect(result.metrics).toMatchObject({ trainPairs: 0, gateKind: 'session' });
      expect(result.activated).toBe(false);
      expect(result.reason).toMatch(/^no training pair/);
      expect(inserted.map((v) => v.status)).toEqual(['rejected']);
    });
  });

  it('trains and judges a shop younger than the validation window on its own history: the last fifth validates', async () => {
    // Three baskets of one shopper within the last 12 days: a 14-day window (the default) would hold them all.
    const young: Interaction[] = [
      ['u1', 'i1', '2025-05-20T00:00:00Z'],
      ['u1', 'i2', '2025-05-25T00:00:00Z'],
      ['u1', 'i3', '2025-05-31T00:00:00Z'],
    ].map(([userId, itemId, at]): Interaction => ({ userId, itemId, timestamp: new Date(at), weight: 1 }));
    const { service, tuned } = harness({ candidateNdcg: 0.4, activeNdcg: 0.3, history: young });
    const result = await service.finetune({ now: NOW });

    // 12 days from the first basket to now: the window starts 9.6 days in, on 2025-05-29 at 14:24.
    expect(tuned[0].at).toEqual(new Date('2025-05-29T14:24:00Z'));
    expect(result.metrics).toMatchObject({ trainPairs: 1, validationPairs: 1, validationCases: 1 });
    expect(tuned[0].users).toEqual([{ userId: 'u1', targets: new Set(['i3']) }]);
    expect(result.activated).toBe(true);
  });

  it('refuses a worse candidate', async () => {
    const { service, log, inserted } = harness({ candidateNdcg: 0.2, activeNdcg: 0.3 });
    const result = await service.finetune({ now: NOW });

    expect(result.activated).toBe(false);
    expect(inserted.map((v) => v.status)).toEqual(['rejected']);
    expect(log.some((e) => e.startsWith('activate'))).toBe(false);
  });

  it('still trains when the co-purchase rebuild fails, then fails the job naming both outcomes', async () => {
    const { service, log } = harness({ candidateNdcg: 0.4, activeNdcg: 0.3, copurchaseFails: true });
    await expect(service.nightly({ now: NOW, copurchase: true })).rejects.toThrow(
      /co-purchase rebuild failed: disk full \(the fine-tune ran: version ft-.*, activated true\)/,
    );
    expect(log.some((e) => e.startsWith('activate:'))).toBe(true);
  });

  it('trains as of just after the last purchase when purchases stopped coming earlier', async () => {
    const { service, log } = harness({ candidateNdcg: 0.4, activeNdcg: 0.3 });
    await service.finetune();
    expect(log).toContain('interactions<2025-05-28T10:00:00.001Z');
  });
});
