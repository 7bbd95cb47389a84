import { InputError, Rng } from '../tensor/index.js';
import { spaceOf } from '../networks/index.js';
import type { AnyModule, Arch } from '../space/index.js';
import { DEFAULT_SESSION, TIMING_PROTOCOL, type SessionSettings } from '../runtime/index.js';
import { latencySpaceOf, measureArchs, openPredictor, referenceFor, type Calibration, type LatencyPredictor, LOCAL_DEVICE } from '../latency/index.js';
import { SearchSpace, type Genome } from './genome.js';
import { SearchProblem, minimumCost, describeConstraints, type Candidate, type Constraints, type Costs, type CostName, type AccuracyEstimator } from './problem.js';
import { evaluationData, searchSpaceOf, openSearchSupernet, SupernetEvaluator, type EvaluationData } from './evaluation.js';
import { accuracyPredictorFor, DEFAULT_PREDICTOR_SAMPLES, evaluateUnknown } from './accuracy_cache.js';
import { knownSubnets, recordEvaluations } from './known_subnets.js';
import type { PredictorQuality } from './accuracy_predictor.js';
import { DEFAULT_EVOLUTION, evolutionSearch } from './strategies/evolution.js';
import { DEFAULT_NSGA2, nsga2Search, objectiveVector } from './strategies/nsga2.js';
import { randomSearch } from './strategies/random.js';
import { firstFront } from './pareto.js';
import { formatCount, formatMs } from './units.js';

export type StrategyName = 'evolution' | 'random' | 'nsga2';

export interface SearchOptions {
  supernet: string;
  /** The space the caller expects the supernet to be from (checked). */
  space?: string;
  device: string;
  /** An explicit latency table instead of the device's. */
  table?: string;
  settings?: SessionSettings;
  constraints: Constraints;
  /**
   * A latency budget as a share of the largest subnet's latency on the device (instead of
   * constraints.latencyMs): measured where the device can be (local, or `measure`), else predicted.
   */
  relativeLatency?: number;
  strategy?: StrategyName;
  population?: number;
  generations?: number;
  /** Random search: feasible samples (default population x generations). */
  samples?: number;
  /** NSGA-II objectives next to accuracy (default latency, plus every constrained cost). */
  objectives?: CostName[];
  /** The cached MLP predictor (default), the supernet itself, or an estimator of your own. */
  accuracy?: 'predictor' | 'direct' | AccuracyEstimator;
  predictorSamples?: number;
  /** Processes evaluating subnets with the supernet side by side: the predictor's samples and the finalists (default 1). */
  evaluationProcesses?: number;
  /** Candidates evaluated with the supernet (and measured on `local`) before choosing. */
  finalists?: number;
  /**
   * Measures finalists end to end on the device (median ms per arch). Default: on `local`,
   * exported and timed here; other devices are judged by prediction unless this is given.
   */
  measure?: (archs: Arch[]) => Promise<number[]>;
  /**
   * Subnets evaluated before with the supernet (accuracy samples, earlier finalists, kept in
   * `<supernet>/accuracy/`) compete with this search's finalists, and its finalists are kept
   * for later searches (default true).
   */
  useKnown?: boolean;
  /** Share of the latency budget kept free when judging a measured latency (noise between measurements). */
  latencyMargin?: number;
  seed?: number;
  onProgress?: (phase: string, done: number, total: number, detail?: string) => void;
  onMessage?: (text: string) => void;
}

export interface Finalist {
  arch: Arch;
  /** Found by this search, or known: evaluated before (an accuracy sample, an earlier search's finalist) and fitting the constraints. */
  from: 'search' | 'known';
  predictedAccuracy: number;
  accuracy: number;
  predictedMs: number;
  measuredMs?: number;
  macs: number;
  params: number;
  fits: boolean;
}

/**
 * A share of the largest subnet's latency resolved to milliseconds: of its measured latency
 * where the device can be measured (local), else of its predicted latency.
 */
export interface LatencyBudget {
  share: number;
  basis: 'measured' | 'predicted';
  largestMs: number;
  ms: number;
}

async function resolveShare(share: number, largest: Arch, latency: LatencyPredictor, measure: SearchOptions['measure']): Promise<LatencyBudget> {
  const measured = measure ? (await measure([largest]))[0] : undefined;
  const largestMs = measured ?? latency.predict(largest);
  return { share, basis: measured != null ? 'measured' : 'predicted', largestMs, ms: share * largestMs };
}

export interface SearchOutcome {
  chosen: Finalist;
  finalists: Finalist[];
  /** Non-dominated candidates of the last round (objectives: accuracy, latency and the constrained costs). */
  front: (Candidate & { arch: Arch; macs: number; params: number })[];
  frontObjectives: CostName[];
  /** Every distinct candidate the (last round of the) search evaluated. */
  archive: Candidate[];
  /** Summed over the rounds. */
  calls: SearchProblem['calls'];
  /** Each search under a latency budget, tightened after every finalist missed it when measured. */
  rounds: { latencyMs?: number; chosenMeasuredMs?: number; calls: SearchProblem['calls'] }[];
  /** Subnets evaluated before (accuracy samples, earlier finalists) that competed with the finalists. */
  known: number;
  predictor?: { quality: PredictorQuality; cached: boolean; samples: number };
  latencyTable: { device: string; path: string; calibration?: Calibration; adapted?: { from: string; timings: number } };
  /** A budget given as a share (`--latency 80%`), resolved to milliseconds. */
  latencyBudget?: LatencyBudget;
  data: EvaluationData;
  supernet: AnyModule;
  space: SearchSpace;
  seconds: { total: number; predictor: number; search: number; finish: number };
  settings: Required<Omit<SearchOptions, 'onProgress' | 'onMessage' | 'space' | 'table' | 'objectives' | 'samples' | 'relativeLatency' | 'measure' | 'accuracy' | 'evaluationProcesses'>> & {
    accuracy: string; objectives: CostName[]; samples: number; table?: string; relativeLatency?: number };
}

const MAX_ROUNDS = 3;
/** All validation images, BN recalibrated on 2,000 training images (as OFA). */
const FINAL_EVALUATION = { recalibrationImages: 2000 };
export const DEFAULT_LATENCY_MARGIN = 0.03;
/** Timed runs of a finalist measured here, over the protocol's passes. */
const FINALIST_RUNS = 100;

/**
 * The whole search: latency predictor for the device, accuracy estimate (cached predictor
 * or the supernet itself), the strategy under the constraints, then finalists evaluated
 * with the supernet and, on `local`, measured end to end; the answer is the most accurate
 * finalist whose latency (measured where possible) fits the budget. A budget missed when
 * measured tightens the budget the strategy runs under and the search runs again.
 */
export async function runSearch(o: SearchOptions): Promise<SearchOutcome> {
  const started = performance.now();
  const settings = o.settings ?? DEFAULT_SESSION;
  const strategy = o.strategy ?? 'evolution';
  const population = o.population ?? DEFAULT_EVOLUTION.population;
  const generations = o.generations ?? DEFAULT_EVOLUTION.generations;
  const seed = o.seed ?? 0;
  const supernet = openSearchSupernet(o.supernet);
  const space = searchSpaceOf(supernet);
  const definition = spaceOf(supernet);
  if (o.space && o.space !== definition.id) throw new InputError(`--space: '${o.space}' does not match the supernet's space '${definition.id}' (${o.supernet})`);
  const count = (arch: Arch) => definition.cost(supernet, arch);
  const latencySpace = latencySpaceOf(supernet);
  const latency = await openPredictor({ device: o.device, space: latencySpace, settings, table: o.table, onProgress: o.onProgress, onStale: (why) => o.onMessage?.(`${why}\n`) });
  const measureLocally = async (a: Arch[]) => (await measureArchs(latencySpace, supernet, a, { settings, runsPerPass: Math.ceil(FINALIST_RUNS / TIMING_PROTOCOL.passes), warmup: 10, reference: referenceFor(latency.table) })).map((t) => t.ms);
  o = { ...o, measure: o.measure ?? (o.device === LOCAL_DEVICE ? measureLocally : undefined) };
  let latencyBudget: LatencyBudget | undefined;
  if (o.relativeLatency != null) {
    latencyBudget = await resolveShare(o.relativeLatency, space.toArch(space.largest()), latency, o.measure);
    o = { ...o, constraints: { ...o.constraints, latencyMs: latencyBudget.ms } };
  }
  const constrained = (Object.keys(o.constraints) as CostName[]).filter((k) => o.constraints[k] != null);
  const objectives = o.objectives ?? [...new Set<CostName>(['latencyMs', ...constrained])];
  const needCounts = objectives.includes('macs') || objectives.includes('params') || constrained.some((k) => k !== 'latencyMs');
  const scratch: Arch = { space: space.space, choices: {} };
  const costFn = (g: Genome): Costs => {
    const arch = space.toArchInto(g, scratch);
    const costs: Costs = { latencyMs: latency.predict(arch) };
    return needCounts ? { ...costs, ...count(arch) } : costs;
  };
  const cheapest = checkSatisfiable(new SearchProblem(space, nullEstimator, costFn, o.constraints), o.constraints, o.device, seed);

  const t0 = performance.now();
  const data = evaluationData(o.supernet);
  const finalEvaluator = new SupernetEvaluator(space, supernet, data, FINAL_EVALUATION);
  let estimator: AccuracyEstimator;
  let predictorInfo: SearchOutcome['predictor'];
  if (typeof o.accuracy === 'object') {
    estimator = o.accuracy;
  } else if (o.accuracy === 'direct') {
    estimator = new SupernetEvaluator(space, supernet, data, { recalibrationImages: 500, valImages: 1000 });
  } else {
    // Samples are evaluated exactly as finalists are, so that they can compete with them (see finish).
    const r = await accuracyPredictorFor(o.supernet, finalEvaluator, {
      samples: o.predictorSamples ?? DEFAULT_PREDICTOR_SAMPLES,
      processes: o.evaluationProcesses,
      seed: 0,
      onProgress: (d, t) => o.onProgress?.('accuracy samples', d, t),
    });
    estimator = r.predictor;
    predictorInfo = { quality: r.predictor.quality, cached: r.cached, samples: r.samples };
  }
  const known = o.useKnown === false ? [] : knownSubnets(o.supernet, finalEvaluator);
  for (const k of known) finalEvaluator.remember(k.arch, k.top1);
  const predictorSeconds = (performance.now() - t0) / 1000;

  const rounds: SearchOutcome['rounds'] = [];
  let budget = o.constraints.latencyMs;
  let searchSeconds = 0;
  let finishSeconds = 0;
  let problem!: SearchProblem;
  let finalists: Finalist[] = [];
  let chosen: Finalist | undefined;
  const calls = { cost: 0, candidates: 0, accuracy: 0 };
  for (let round = 0; round < MAX_ROUNDS && !chosen; round++) {
    const s0 = performance.now();
    problem = new SearchProblem(space, estimator, costFn, { ...o.constraints, latencyMs: budget });
    problem.fallback = cheapest;
    const runOptions = { population, generations, seed: seed + round };
    if (strategy === 'evolution') evolutionSearch(problem, { ...DEFAULT_EVOLUTION, ...runOptions }, (g, t, best) => o.onProgress?.('evolution', g, t, `best ${(best.accuracy * 100).toFixed(2)}%`));
    else if (strategy === 'nsga2') nsga2Search(problem, { ...DEFAULT_NSGA2, ...runOptions, objectives }, (g, t, f) => o.onProgress?.('nsga2', g, t, `front ${f}`));
    else randomSearch(problem, { samples: o.samples ?? population * generations, seed: runOptions.seed }, (d, t) => o.onProgress?.('random', d, t));
    const f0 = performance.now();
    searchSeconds += (f0 - s0) / 1000;
    finalists = await finish(problem, known.map((k) => k.genome), o.finalists ?? 5, finalEvaluator, latency, o, (g) => ({ ...count(space.toArch(g)) }));
    if (o.useKnown !== false) recordEvaluations(o.supernet, finalEvaluator, finalists.filter((f) => f.from === 'search').map((f) => ({ arch: f.arch, top1: f.accuracy })));
    finishSeconds += (performance.now() - f0) / 1000;
    chosen = finalists.find((f) => f.fits);
    rounds.push({ latencyMs: budget, chosenMeasuredMs: chosen?.measuredMs, calls: { ...problem.calls } });
    for (const k of Object.keys(calls) as (keyof typeof calls)[]) calls[k] += problem.calls[k];
    if (!chosen && o.constraints.latencyMs != null) {
      // Predicted latency that measures within the budget, at the worst measured/predicted ratio seen; always tighter than before.
      const worst = Math.max(...finalists.map((f) => (f.measuredMs ?? f.predictedMs) / f.predictedMs));
      const target = (o.constraints.latencyMs / worst) * (1 - (o.latencyMargin ?? DEFAULT_LATENCY_MARGIN));
      const next = Math.min(target, (budget ?? o.constraints.latencyMs) * 0.95);
      // Below the cheapest subnet nothing fits by prediction: search once at its latency before giving up.
      const floor = cheapest && costFn(cheapest).latencyMs!;
      if (floor && next < floor && (budget ?? Infinity) <= floor) break;
      budget = floor ? Math.max(next, floor) : next;
      o.onMessage?.(`no finalist ran within ${formatMs(o.constraints.latencyMs)} ms when measured; searching again under ${formatMs(budget)} ms predicted\n`);
    }
  }
  if (!chosen) {
    const fastest = Math.min(...finalists.map((f) => f.measuredMs ?? f.predictedMs));
    throw new InputError(
      `--latency: no subnet found whose measured latency fits ${describeConstraints(o.constraints)} after ${rounds.length} round${rounds.length > 1 ? 's' : ''} (the fastest finalist measured ${formatMs(fastest)} ms); the budget is at the edge of what ${o.device} reaches`,
    );
  }
  const frontObjectives = objectives;
  const archive = [...problem.archive.values()];
  const front = firstFront(archive.map((c) => objectiveVector(c, frontObjectives))).map((i) => {
    const c = archive[i];
    const arch = space.toArch(c.genome);
    return { ...c, ...count(arch), arch };
  });
  return {
    chosen,
    finalists,
    front,
    frontObjectives,
    archive,
    calls,
    rounds,
    known: known.length,
    predictor: predictorInfo,
    latencyTable: { device: latency.table.device, path: latency.path ?? '', calibration: latency.calibration, adapted: latency.table.adapted },
    latencyBudget,
    data,
    supernet,
    space,
    seconds: { total: (performance.now() - started) / 1000, predictor: predictorSeconds, search: searchSeconds, finish: finishSeconds },
    settings: {
      supernet: o.supernet,
      device: o.device,
      table: o.table,
      settings,
      constraints: o.constraints,
      relativeLatency: o.relativeLatency,
      strategy,
      population,
      generations,
      samples: o.samples ?? population * generations,
      objectives,
      accuracy: typeof o.accuracy === 'object' ? o.accuracy.name : (o.accuracy ?? 'predictor'),
      predictorSamples: o.predictorSamples ?? DEFAULT_PREDICTOR_SAMPLES,
      finalists: o.finalists ?? 5,
      latencyMargin: o.latencyMargin ?? DEFAULT_LATENCY_MARGIN,
      useKnown: o.useKnown !== false,
      seed,
    },
  };
}

const nullEstimator: AccuracyEstimator = { name: 'none', estimate: (gs) => gs.map(() => 0) };

/** Throws when a budget is below the smallest cost the space reaches; returns the cheapest genome that fits them all, if one was found. */
function checkSatisfiable(problem: SearchProblem, constraints: Constraints, device: string, seed: number): Genome | undefined {
  const messages: Record<CostName, (bound: number, min: number) => string> = {
    latencyMs: (b, m) => `--latency: ${formatMs(b)}ms is unsatisfiable on ${device}: the smallest predicted latency the space reaches there is ${formatMs(m)} ms`,
    macs: (b, m) => `--macs: ${formatCount(b)} is unsatisfiable: the smallest subnet has ${formatCount(m)} MACs`,
    params: (b, m) => `--params: ${formatCount(b)} is unsatisfiable: the smallest subnet has ${formatCount(m)} parameters`,
  };
  let cheapest: Genome | undefined;
  for (const name of Object.keys(messages) as CostName[]) {
    const bound = constraints[name];
    if (bound == null) continue;
    const { genome, value } = minimumCost(problem, name, new Rng(seed));
    if (value > bound) throw new InputError(messages[name](bound, value));
    if (problem.fits(problem.costs(genome))) cheapest = genome;
  }
  return cheapest;
}

/**
 * Finalists: the top candidates by estimated accuracy and as many of the most accurate known
 * subnets that fit, evaluated with the supernet and (on local) measured; most accurate first.
 */
async function finish(
  problem: SearchProblem,
  known: Genome[],
  count: number,
  evaluator: SupernetEvaluator,
  latency: LatencyPredictor,
  o: SearchOptions,
  counts: (g: Genome) => { macs: number; params: number },
): Promise<Finalist[]> {
  const { space } = problem;
  const searched = [...problem.archive.values()].filter((c) => problem.fits(c)).sort((a, b) => b.accuracy - a.accuracy).slice(0, count);
  const seen = new Set(searched.map((c) => c.id));
  const fromKnown = known
    .filter((g) => !seen.has(space.identity(g)) && problem.fits(problem.costs(g)))
    .map((genome) => ({ genome, top1: evaluator.top1(space.toArch(genome)) }))
    .sort((a, b) => b.top1 - a.top1)
    .slice(0, count)
    .map((k) => k.genome);
  const predictedAccuracy = problem.accuracy.estimate(fromKnown);
  const top = [
    ...searched.map((c) => ({ genome: c.genome, predictedAccuracy: c.accuracy, from: 'search' as const })),
    ...fromKnown.map((genome, i) => ({ genome, predictedAccuracy: predictedAccuracy[i], from: 'known' as const })),
  ];
  const archs = top.map((c) => space.toArch(c.genome));
  const { measure } = o;
  const budget = o.constraints.latencyMs;
  const limit = budget == null ? Infinity : budget * (1 - (o.latencyMargin ?? DEFAULT_LATENCY_MARGIN));
  const predicted = archs.map((a) => latency.predict(a));
  // Evaluated before the timing, which needs the machine to itself.
  await evaluateUnknown(evaluator, o.supernet, archs, o.evaluationProcesses ?? 1, (d, t) => o.onProgress?.('finalists', d, t));
  const measured = measure ? await measure(archs) : undefined;
  if (measure && measured) {
    // A disturbed timing (another process, a page fault) only ever slows a run down: a finalist predicted within the
    // budget that measured over it is timed once more, and keeps the lower of its two medians.
    const again = archs.map((_, i) => i).filter((i) => measured[i] > limit && predicted[i] <= budget!);
    const second = again.length ? await measure(again.map((i) => archs[i])) : [];
    again.forEach((i, k) => (measured[i] = Math.min(measured[i], second[k])));
  }
  const finalists = top.map((c, i) => {
    const measuredMs = measured?.[i];
    const predictedMs = predicted[i];
    return {
      arch: archs[i],
      from: c.from,
      predictedAccuracy: c.predictedAccuracy,
      accuracy: evaluator.top1(archs[i]),
      predictedMs,
      measuredMs,
      ...counts(c.genome),
      fits: measuredMs != null ? measuredMs <= limit : budget == null || predictedMs <= budget,
    };
  });
  return finalists.sort((a, b) => b.accuracy - a.accuracy);
}
