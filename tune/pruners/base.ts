import type { FrozenTrial } from '../frozen.js';
import type { StudyView } from '../samplers/base.js';

/** Decides, after a report, whether a running trial should stop. */
export interface Pruner {
  prune(study: StudyView, trial: FrozenTrial): boolean;
}

export class NopPruner implements Pruner {
  prune(): boolean {
    return false;
  }
}
