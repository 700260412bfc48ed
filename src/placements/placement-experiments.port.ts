import type { PlacementContext } from './dto/placement.schema';
import type { PlacementList, ServeOptions } from './placement-list';

/**
 * The experiments' side of serving a placement, as a port: placements ask it first and serve on their own
 * when it answers nothing (no experiment running there, or a shopper it cannot assign). The experiments
 * module provides it; placements never import it.
 */
export const PLACEMENT_EXPERIMENTS = Symbol('PLACEMENT_EXPERIMENTS');

export interface PlacementExperiments {
  serve(
    placementId: string,
    context: PlacementContext,
    opts: ServeOptions,
    who: { userId?: string; sessionId?: string },
  ): Promise<PlacementList | undefined>;
}
