import { Injectable } from '@nestjs/common';
import { notFound, ProblemException, validationProblem } from '../common/problem';
import { parseOrThrow } from '../common/validation';
import type { CompiledRule } from '../ranking/rules-stage';
import { placementBodySchema, type PlacementDefinition } from './dto/placement.schema';
import { ListWarmers } from '../recommendations/list-warmers';
import { PinnedEngines } from './pinned-engines';
import { PlacementsRepository, type PlacementRevision, type StoredPlacement } from './placements.repository';
import { compileRules } from './rules/compile-rules';
import { OldestFirst } from '../common/oldest-first';

/**
 * How long a served placement is trusted before its revision number is checked again in PostgreSQL. Writes
 * through this process apply at once; other processes' writes within this time. (A LISTEN/NOTIFY channel
 * would make it immediate everywhere; until then one indexed lookup per placement per second is the cost.)
 */
const FRESH_MS = 1000;
/** Compiled rule sets kept (placement × revision); old revisions fall out first. */
const COMPILED_MAX = 1000;

export interface ServablePlacement {
  placement: StoredPlacement;
  rules: CompiledRule[];
}

/** Placements: admin writes with revisions, and the compiled form the serving path reads. */
@Injectable()
export class PlacementsService {
  private readonly served = new Map<string, { at: number; value: ServablePlacement }>();
  private readonly compiled = new Map<string, CompiledRule[]>();
  private readonly oldestCompiled = new OldestFirst(this.compiled);

  constructor(
    private readonly repo: PlacementsRepository,
    private readonly pinned: PinnedEngines,
    private readonly warmers: ListWarmers,
  ) {}

  /** A placement changed: its cached lists go by their keys (a new rule set); the warmer warms the new ones. */
  private changed(id: string): void {
    this.served.delete(id);
    this.warmers.nudge();
  }

  /**
   * A placement pinned to a model version must be servable: the version exists with weights and its engine
   * is ready before the revision is stored (400 naming `modelVersion` otherwise, nothing stored).
   */
  async checkModelVersion(definition: PlacementDefinition, path = 'modelVersion'): Promise<void> {
    if (definition.modelVersion === undefined) return;
    try {
      await this.pinned.engine(definition.modelVersion);
    } catch (e) {
      if (e instanceof ProblemException) throw validationProblem([{ path, message: e.message }]);
      throw e;
    }
  }

  /** Validates the body (400 naming each bad path, nothing stored) and stores it as a new revision. */
  async put(id: string, body: unknown, by: string): Promise<StoredPlacement> {
    const definition = parseOrThrow(placementBodySchema, body ?? {});
    await this.checkModelVersion(definition);
    const stored = await this.repo.save(id, definition, by);
    this.changed(id);
    return stored;
  }

  async get(id: string): Promise<StoredPlacement> {
    const p = await this.repo.find(id);
    if (!p) throw notFound(`Placement "${id}"`);
    return p;
  }

  list(): Promise<StoredPlacement[]> {
    return this.repo.list();
  }

  async delete(id: string): Promise<void> {
    this.served.delete(id);
    if (!(await this.repo.delete(id))) throw notFound(`Placement "${id}"`);
    this.warmers.nudge();
  }

  async revisions(id: string): Promise<PlacementRevision[]> {
    const list = await this.repo.revisions(id);
    if (list.length === 0) throw notFound(`Placement "${id}"`);
    return list;
  }

  /** Makes an old revision current again, as a new revision (history is never rewritten). */
  async restore(id: string, revision: number, by: string): Promise<StoredPlacement> {
    const definition = await this.repo.revision(id, revision);
    if (!definition) throw notFound(`Revision ${revision} of placement "${id}"`);
    // Stored definitions passed validation when written; re-checking keeps a restore as strict as a PUT.
    const valid = parseOrThrow(placementBodySchema, definition);
    await this.checkModelVersion(valid);
    const stored = await this.repo.save(id, valid, by, revision);
    this.changed(id);
    return stored;
  }

  /** Several placements at once, all or nothing (the import command). */
  async importAll(
    entries: Array<{ id: string; definition: PlacementDefinition }>,
    by: string,
  ): Promise<StoredPlacement[]> {
    for (const [i, e] of entries.entries())
      await this.checkModelVersion(e.definition, `placements[${i}].modelVersion`);
    const stored = await this.repo.saveAll(entries, by);
    for (const e of entries) this.changed(e.id);
    return stored;
  }

  /** Stores a definition as the next revision (already validated: an experiment's promotion). */
  async save(id: string, definition: PlacementDefinition, by: string): Promise<StoredPlacement> {
    const valid = parseOrThrow(placementBodySchema, definition);
    await this.checkModelVersion(valid);
    const stored = await this.repo.save(id, valid, by);
    this.changed(id);
    return stored;
  }

  /** The placement and its compiled rules, for serving; 404 when there is none. */
  async servable(id: string): Promise<ServablePlacement> {
    const now = Date.now();
    const hit = this.served.get(id);
    if (hit && now - hit.at < FRESH_MS) return hit.value;
    if (hit && (await this.repo.revisionOf(id)) === hit.value.placement.revision) {
      hit.at = now;
      return hit.value;
    }
    const placement = await this.repo.find(id);
    if (!placement) {
      this.served.delete(id);
      throw notFound(`Placement "${id}"`);
    }
    const value = { placement, rules: this.compile(id, placement.revision, placement.rules ?? []) };
    this.served.set(id, { at: now, value });
    return value;
  }

  /** Compiles a rule set once per (placement, revision). */
  compile(id: string, revision: number, rules: PlacementDefinition['rules'] & object): CompiledRule[] {
    const key = `${id}@${revision}`;
    let c = this.compiled.get(key);
    if (!c) {
      c = compileRules(rules);
      if (this.compiled.size >= COMPILED_MAX) this.oldestCompiled.shift();
      this.compiled.set(key, c);
    }
    return c;
  }
}
