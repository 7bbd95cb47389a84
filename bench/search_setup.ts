// The search problem bench/search.ts and bench/evolution-vs-ofa.ts time: the first
// Fashion-MNIST supernet, its `local` latency table and its accuracy predictor (or, where none
// is cached, a freshly trained one of the same shape), and a budget 40% of the way from the
// cheapest to the largest subnet's predicted latency unless `--budget` names one.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend, loadGradients, Rng } from '../tensor/index.js';
import { countOFACost, FIRST_SUPERNET, OFAMobileNetV3 } from '../networks/index.js';
import { DEFAULT_SESSION } from '../runtime/index.js';
import { latencySpaceOf, openPredictor } from '../latency/index.js';
import {
  AccuracyPredictor,
  ACCURACY_FOLDER,
  minimumCost,
  searchSpaceOf,
  openSearchSupernet,
  parseLatency,
  SearchProblem,
  trainAccuracyPredictor,
} from '../search/index.js';
import { readJsonFile } from '../space/index.js';
import type { Genome } from '../search/index.js';

export async function openFirstSupernetSearch(argv: string[]) {
  await initBackend('wasm');
  await loadGradients();
  const supernet = openSearchSupernet(FIRST_SUPERNET) as OFAMobileNetV3;
  const space = searchSpaceOf(supernet);
  const latency = await openPredictor({ device: 'local', space: latencySpaceOf(supernet), settings: DEFAULT_SESSION, onProgress: () => {} });
  const cached = join(FIRST_SUPERNET, ACCURACY_FOLDER, 'predictor.json');
  let accuracy: AccuracyPredictor;
  if (existsSync(cached)) {
    accuracy = AccuracyPredictor.fromJSON(space, (readJsonFile(cached) as { predictor: Parameters<typeof AccuracyPredictor.fromJSON>[1] }).predictor);
    console.log(`accuracy predictor: ${cached}`);
  } else {
    // Same network shape as the real one; targets from MACs, only the timing matters here.
    const rng = new Rng(0);
    const samples = Array.from({ length: 200 }, () => space.sample(rng)).map((genome) => ({ genome, accuracy: Math.log(countOFACost(space.toArch(genome), supernet.options).macs) / 20 }));
    accuracy = trainAccuracyPredictor(space, samples, { hidden: [128, 128], epochs: 200, learningRate: 3e-3, heldOut: 0.2, seed: 0 });
    console.log('accuracy predictor: none cached; timing a freshly trained one of the same shape');
  }
  const scratch = space.toArch(space.sample(new Rng(1)));
  const cost = (g: Genome) => ({ latencyMs: latency.predict(space.toArchInto(g, scratch)) });
  const probe = new SearchProblem(space, accuracy, cost);
  const min = minimumCost(probe, 'latencyMs', new Rng(0)).value;
  const max = latency.predict(space.toArch(space.largest()));
  const budget = argv.includes('--budget') ? parseLatency('--budget', argv[argv.indexOf('--budget') + 1]) : min + 0.4 * (max - min);
  console.log(`predicted latency range ${min.toFixed(3)}..${max.toFixed(3)} ms; budget ${budget.toFixed(3)} ms`);
  return { supernet, space, latency, accuracy, cost, budget, newProblem: () => new SearchProblem(space, accuracy, cost, { latencyMs: budget }) };
}
