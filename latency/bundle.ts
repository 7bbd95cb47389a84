import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { InputError, zodInputError } from '../tensor/index.js';
import { exportOnnx } from '../export/index.js';
import { readJsonFile, writeFileAtomic, type Arch } from '../space/index.js';
import { quantile, referenceModel, summarize, timeRepeated, TIMING_PROTOCOL, type SessionSettings } from '../runtime/index.js';
import type { LatencySpace } from './space.js';
import { CALIBRATION_SEED, DEFAULT_CALIBRATION_SAMPLES, sampleArchs, spreadArchsByMacs, withCalibration } from './profile.js';
import { emptyTable, entrySchema, runtimeSchema, type LatencyTable } from './table.js';
import { adaptDevice } from './adapt.js';
import type { LatencyPredictor } from './predictor.js';

/**
 * A profiling bundle for a device that cannot run hbx: every block as an ONNX file, the
 * calibration subnets, a manifest, and run.mjs, a stand-alone runner that needs only
 * onnxruntime-node. Its results.json comes back through `importResults`. A few-shot bundle
 * (`subnets`) holds K subnets and no blocks: a minute on the device, and its results adapt a
 * base device's table (`adaptDevice`).
 */
export interface BundleManifest {
  format: 'hbx-latency-bundle';
  space: string;
  spaceOptions: Record<string, unknown>;
  resolutions: number[];
  settings: SessionSettings;
  groups: { group: string; blocks: { key: string; file: string }[] }[];
  calibration: { seed: number; archs: Arch[]; files: string[] };
}

export function writeBundle(o: {
  space: LatencySpace;
  resolutions?: number[];
  settings: SessionSettings;
  out: string;
  calibrationSamples?: number;
  /** A few-shot bundle: this many subnets, no blocks. */
  subnets?: number;
}): BundleManifest {
  const resolutions = [...(o.resolutions ?? o.space.resolutions)].sort((a, b) => a - b);
  const bad = resolutions.find((r) => !o.space.resolutions.includes(r));
  if (bad !== undefined) throw new InputError(`--resolutions: ${bad} is not a resolution of ${o.space.space}`);
  if (o.settings.provider !== 'cpu') throw new InputError(`--provider: a bundle's runner uses onnxruntime-node's cpu provider; profile '${o.settings.provider}' here with 'hbx latency profile --provider ${o.settings.provider}'`);
  const groups = o.subnets != null ? [] : o.space.blockGroups(resolutions).map((g) => {
    mkdirSync(join(o.out, 'blocks', g.group), { recursive: true });
    return {
      group: g.group,
      blocks: g.blocks.map((b, i) => {
        const file = join('blocks', g.group, `${i}.onnx`);
        writeFileSync(join(o.out, file), o.space.blockOnnx(b));
        return { key: b.key, file };
      }),
    };
  });
  const seed = CALIBRATION_SEED;
  // Few-shot subnets spread over the range of MACs: a handful of random draws can bunch, and a
  // slope fitted on bunched timings swings with noise (seen: negative on 4 random subnets).
  const archs = o.subnets != null ? spreadArchsByMacs(o.space, resolutions, o.subnets, seed) : sampleArchs(o.space, resolutions, o.calibrationSamples ?? DEFAULT_CALIBRATION_SAMPLES, seed);
  mkdirSync(join(o.out, 'calibration'), { recursive: true });
  const supernet = o.space.supernet(resolutions);
  const files = archs.map((arch, i) => {
    const file = join('calibration', `${i}.onnx`);
    const subnet = o.space.subnet(supernet, arch);
    writeFileSync(join(o.out, file), exportOnnx(subnet, { batch: 1 }));
    subnet.dispose();
    return file;
  });
  supernet.dispose();
  const manifest: BundleManifest = {
    format: 'hbx-latency-bundle',
    space: o.space.space,
    spaceOptions: { ...o.space.spaceOptions },
    resolutions,
    settings: o.settings,
    groups,
    calibration: { seed, archs, files },
  };
  writeFileAtomic(join(o.out, 'manifest.json'), `${JSON.stringify(manifest, null, 1)}\n`);
  writeFileSync(join(o.out, 'reference.onnx'), referenceModel());
  writeFileAtomic(join(o.out, 'run.mjs'), runnerSource());
  writeFileAtomic(join(o.out, 'package.json'), `${JSON.stringify({ name: 'hbx-latency-bundle', private: true, type: 'module', dependencies: { 'onnxruntime-node': '^1.20.0' } }, null, 2)}\n`);
  return manifest;
}

/** run.mjs: the same timing code hbx uses (its functions' own source), no other dependency. */
function runnerSource(): string {
  return `// hbx latency bundle runner. Needs Node >= 18 and onnxruntime-node (npm install in this folder).
// Usage: node run.mjs            -> writes results.json next to this file (resumes if present)
import ort from 'onnxruntime-node';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { cpus, hostname, platform, arch, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

${quantile.toString()}

${summarize.toString()}

${timeRepeated.toString()}

const PROTOCOL = ${JSON.stringify(TIMING_PROTOCOL)};

const dir = dirname(fileURLToPath(import.meta.url));
const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
const s = manifest.settings;
const out = join(dir, 'results.json');
const results = existsSync(out)
  ? JSON.parse(readFileSync(out, 'utf8'))
  : {
      format: 'hbx-latency-results',
      space: manifest.space,
      runtime: { name: 'onnxruntime-node', version: ort.env.versions.common, ...s },
      host: { hostname: hostname(), platform: platform(), arch: arch(), cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30) },
      entries: {},
      calibration: [],
    };
const save = () => {
  writeFileSync(out + '.tmp', JSON.stringify(results, null, 1));
  renameSync(out + '.tmp', out);
};

function feeds(session) {
  const f = {};
  for (const input of session.inputMetadata) {
    const dims = input.shape.map((d, i) => (typeof d === 'number' && d > 0 ? d : 1));
    const data = new Float32Array(dims.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) data[i] = Math.sin(i * 12.9898) * 0.5;
    f[input.name] = new ort.Tensor('float32', data, dims);
  }
  return f;
}

const open = (file) =>
  ort.InferenceSession.create(join(dir, file), {
    executionProviders: [s.provider],
    intraOpNumThreads: s.threads,
    interOpNumThreads: s.interOpThreads,
    executionMode: 'sequential',
    graphOptimizationLevel: s.graphOptimizationLevel,
  });
const referenceSession = await open('reference.onnx');
const reference = { session: referenceSession, feeds: feeds(referenceSession) };

async function timeFiles(files, runs) {
  const items = [];
  for (const file of files) {
    const session = await open(file);
    items.push({ session, feeds: feeds(session) });
  }
  const t = await timeRepeated(items, { ...PROTOCOL, runsPerPass: Math.ceil(runs / PROTOCOL.passes) }, { item: reference, ms: results.referenceMs });
  results.referenceMs ??= t[0].referenceMs;
  for (const it of items) await it.session.release();
  return t;
}

let done = 0;
const total = manifest.groups.reduce((n, g) => n + g.blocks.length, 0);
for (const g of manifest.groups) {
  const missing = g.blocks.filter((b) => !results.entries[b.key]);
  if (missing.length) {
    const t = await timeFiles(missing.map((b) => b.file), 60);
    missing.forEach((b, i) => (results.entries[b.key] = { ms: t[i].ms, p90Ms: t[i].p90Ms, runs: t[i].runs, spread: t[i].spread }));
    save();
  }
  done += g.blocks.length;
  console.error('blocks ' + done + '/' + total);
}
if (results.calibration.length !== manifest.calibration.files.length) {
  results.calibration = [];
  for (let i = 0; i < manifest.calibration.files.length; i += 10) {
    const files = manifest.calibration.files.slice(i, i + 10);
    const t = await timeFiles(files, 40);
    files.forEach((file, j) => results.calibration.push({ file, ms: t[j].ms, spread: t[j].spread }));
    console.error('calibration ' + results.calibration.length + '/' + manifest.calibration.files.length);
  }
  save();
}
console.error('wrote ' + out);
`;
}

const resultsSchema = z
  .object({
    format: z.literal('hbx-latency-results'),
    space: z.string(),
    runtime: runtimeSchema,
    host: z.record(z.string(), z.union([z.string(), z.number()])),
    entries: z.record(z.string(), entrySchema),
    calibration: z.array(z.object({ file: z.string(), ms: z.number().positive(), spread: z.number().nonnegative().optional() }).strict()),
    /** The reference model's figure the runner scaled its timings to. */
    referenceMs: z.number().positive().optional(),
  })
  .strict();

const manifestSchema = z.object({ format: z.literal('hbx-latency-bundle') }).passthrough();

/**
 * Turns a bundle's results.json (with the manifest beside it) into a latency table for
 * `device`: every block entry must be present; the calibration is fitted here on the
 * device's end-to-end timings of the calibration subnets.
 */
export function importResults(resultsPath: string, manifestPath: string, device: string, space: LatencySpace, base?: LatencyPredictor): LatencyTable {
  const r = resultsSchema.safeParse(readJsonFile(resultsPath));
  if (!r.success) throw zodInputError(resultsPath, r.error.issues);
  const m = manifestSchema.safeParse(readJsonFile(manifestPath));
  if (!m.success) throw zodInputError(manifestPath, m.error.issues);
  const manifest = m.data as unknown as BundleManifest;
  const results = r.data;
  if (results.space !== space.space || manifest.space !== space.space) {
    throw new InputError(`${resultsPath}: field 'space': results are for '${results.space}', expected '${space.space}'`);
  }
  for (const g of manifest.groups) {
    for (const b of g.blocks) {
      if (!results.entries[b.key]) throw new InputError(`${resultsPath}: field 'entries': missing '${b.key}' (the runner did not finish; run it again, it resumes)`);
    }
  }
  const measured = manifest.calibration.files.map((file) => {
    const c = results.calibration.find((x) => x.file === file);
    if (!c) throw new InputError(`${resultsPath}: field 'calibration': missing '${file}' (the runner did not finish; run it again)`);
    return c.ms;
  });
  if (manifest.groups.length === 0) {
    // A few-shot bundle: its subnets' timings adapt the base device's table.
    if (!base) throw new InputError(`${manifestPath}: a few-shot bundle (subnets, no blocks): give --from BASE, the device whose table its timings adapt`);
    const timings = manifest.calibration.archs.map((arch, i) => ({ arch, ms: measured[i] }));
    return { ...adaptDevice(base, device, timings, resultsPath).table, runtime: results.runtime, host: results.host };
  }
  const { name: _n, version: _v, ...settings } = results.runtime;
  const table: LatencyTable = {
    ...emptyTable(device, space.space, manifest.spaceOptions, manifest.resolutions, settings),
    runtime: results.runtime,
    host: results.host,
    entries: results.entries,
    ...(results.referenceMs && { referenceMs: results.referenceMs }),
  };
  return withCalibration(table, space, manifest.calibration.archs, measured, manifest.calibration.seed);
}
