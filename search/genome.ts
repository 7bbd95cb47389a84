import { InputError, type Rng } from '../tensor/index.js';
import { inputSubsets, type Arch, type Choice, type Decision, type Mutator } from '../space/index.js';
import type { InactiveKeys } from '../networks/index.js';

/** An arch as one option index per decision (the mutator's key order). */
export type Genome = Int32Array;

export interface Gene {
  key: string;
  /** The choice each option stands for (value, op name, or chosen input indices). */
  options: Choice[];
  /** Mutation probability of this gene relative to the search's base rate (resolution: OFA uses 0.5). */
  mutationProbability?: number;
}


const MAX_INPUT_SUBSETS = 4096;
const FIRST_OPTION_CODE = 48; // '0', then the following characters
const SKIPPED_CODE = 45; // '-'

/**
 * The search view of a space: every searchable decision of a model as a gene with a finite
 * list of options. Strategies work on genomes; archs are made only where they leave the
 * search. Works for any model built from space/ mutables.
 */
export class SearchSpace {
  readonly genes: Gene[];
  readonly space: string;
  private readonly indexOf: Map<string, number>[];
  private readonly geneOf: Map<string, number>;
  private readonly activeScratch: Uint8Array;
  private readonly identityCodes: Uint16Array;

  constructor(mutator: Mutator, readonly inactiveKeys?: InactiveKeys) {
    this.space = mutator.space;
    this.genes = [...mutator.decisions.values()].map((d) => ({ key: d.key, options: optionsOf(d.primary, d.kind) }));
    this.indexOf = this.genes.map((g) => new Map(g.options.map((o, i) => [JSON.stringify(o), i])));
    this.geneOf = new Map(this.genes.map((g, i) => [g.key, i]));
    this.activeScratch = new Uint8Array(this.genes.length);
    this.identityCodes = new Uint16Array(this.genes.length);
  }

  get size(): number {
    return this.genes.length;
  }

  /** Number of distinct genomes (may exceed 2^53; a float). */
  get combinations(): number {
    return this.genes.reduce((n, g) => n * g.options.length, 1);
  }

  /** Every gene at its last option (for OFA's sorted candidates: the largest subnet). */
  largest(): Genome {
    return Int32Array.from(this.genes, (g) => g.options.length - 1);
  }

  /** Every gene at its first option (the smallest subnet). */
  smallest(): Genome {
    return new Int32Array(this.genes.length);
  }

  sample(rng: Rng): Genome {
    const g = new Int32Array(this.genes.length);
    for (let i = 0; i < g.length; i++) g[i] = rng.int(this.genes[i].options.length);
    return g;
  }

  /** Per-gene mutation probabilities: `base`, except the genes `byKey` names (OFA mutates the resolution at 0.5). */
  mutationRates(base: number, byKey: Record<string, number> = {}): Float64Array {
    return Float64Array.from(this.genes, (g) => byKey[g.key] ?? base);
  }

  /** Each gene resampled with probability `p`, or `p[i]` for per-gene rates (`mutationRates`). */
  mutate(parent: Genome, p: number | Float64Array, rng: Rng): Genome {
    const child = parent.slice();
    const rates = typeof p === 'number' ? this.mutationRates(p) : p;
    for (let i = 0; i < child.length; i++) {
      if (rng.next() < rates[i]) child[i] = rng.int(this.genes[i].options.length);
    }
    return child;
  }

  /** Uniform crossover: each gene from either parent. */
  crossover(a: Genome, b: Genome, rng: Rng): Genome {
    const child = a.slice();
    for (let i = 0; i < child.length; i++) if (rng.next() < 0.5) child[i] = b[i];
    return child;
  }

  toArch(g: Genome): Arch {
    return this.toArchInto(g, { space: this.space, choices: {} });
  }

  /** Writes the genome's choices into `arch` (a scratch object reused in inner loops). */
  toArchInto(g: Genome, arch: Arch): Arch {
    for (let i = 0; i < g.length; i++) arch.choices[this.genes[i].key] = this.genes[i].options[g[i]];
    return arch;
  }

  fromArch(arch: Arch, source = 'arch'): Genome {
    const g = new Int32Array(this.genes.length);
    this.genes.forEach((gene, i) => {
      const index = this.indexOf[i].get(JSON.stringify(arch.choices[gene.key]));
      if (index == null) throw new InputError(`${source}: field 'choices.${gene.key}': expected one of ${gene.options.map((o) => JSON.stringify(o)).join(', ')}`);
      g[i] = index;
    });
    return g;
  }

  /** Genes that matter for this genome (all, unless the space says some are skipped). */
  activeMask(g: Genome): boolean[] {
    return [...this.markActive(g)].map((a) => a === 1);
  }

  /**
   * Identity of the subnet a genome selects: genomes differing only in skipped genes share
   * it. One character per gene (its option, or '-' where skipped); built in one call, as it
   * is computed for every candidate a search scores.
   */
  identity(g: Genome): string {
    const active = this.markActive(g);
    const codes = this.identityCodes;
    for (let i = 0; i < g.length; i++) codes[i] = active[i] ? FIRST_OPTION_CODE + g[i] : SKIPPED_CODE;
    return String.fromCharCode.apply(null, codes as unknown as number[]);
  }

  /** 1 where a gene matters, 0 where the space skips it, in a scratch array the next call overwrites. */
  private markActive(g: Genome): Uint8Array {
    const active = this.activeScratch;
    active.fill(1);
    if (!this.inactiveKeys) return active;
    for (const key of this.inactiveKeys((key) => this.genes[this.geneOf.get(key)!].options[g[this.geneOf.get(key)!]])) active[this.geneOf.get(key)!] = 0;
    return active;
  }

  /** One-hot encoding of the active genes (OFA's accuracy-predictor input); skipped genes are all zero. */
  encode(g: Genome, out: Float32Array<ArrayBufferLike> = new Float32Array(this.encodingLength)): Float32Array<ArrayBufferLike> {
    out.fill(0);
    const bits = new Int32Array(g.length);
    const count = this.encodedBits(g, bits);
    for (let k = 0; k < count; k++) out[bits[k]] = 1;
    return out;
  }

  /** The positions of the set bits of `encode(g)`, written into `out`; returns how many. */
  encodedBits(g: Genome, out: Int32Array): number {
    const active = this.markActive(g);
    let offset = 0;
    let count = 0;
    for (let i = 0; i < g.length; i++) {
      if (active[i]) out[count++] = offset + g[i];
      offset += this.genes[i].options.length;
    }
    return count;
  }

  get encodingLength(): number {
    return this.genes.reduce((n, g) => n + g.options.length, 0);
  }
}

function optionsOf(primary: Decision['primary'], kind: Decision['kind']): Choice[] {
  const n = primary.size;
  if (kind !== 'input') return Array.from({ length: n }, (_, i) => primary.choiceFor(Array.from({ length: n }, (_, j) => (i === j ? 1 : 0))));
  const nChosen = (primary as { nChosen?: number }).nChosen;
  if (2 ** n - 1 > MAX_INPUT_SUBSETS) throw new InputError(`input space '${primary.key}': ${n} candidates give too many subsets to search`);
  return inputSubsets(n, nChosen);
}
