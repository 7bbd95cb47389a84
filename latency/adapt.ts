import { z } from 'zod';
import { InputError } from '../tensor/index.js';
import { archFromJson, underField } from '../networks/index.js';
import { RandomMutator, readJsonFile, type AnyModule, type Arch } from '../space/index.js';
import { calibrated, calibrationLine, type LatencyPredictor } from './predictor.js';
import { errorReport, fitLinear, type ErrorReport } from './stats.js';
import type { Calibration, LatencyTable } from './table.js';

/** Fewest end-to-end timings a device is adapted from: a line needs two, a check of it a third. */
export const MIN_TIMINGS = 3;

const timingSchema = z.object({ arch: z.unknown(), ms: z.number({ message: 'expected a number of milliseconds' }).positive('expected a positive number of milliseconds') }).strict();

export interface DeviceTiming {
  arch: Arch;
  ms: number;
}

/**
 * A timings file: a JSON array of `{ "arch": <any arch form>, "ms": <number> }` measured on
 * the target device. Errors name the file and the element's field (`[3].ms`, `[2].arch.ks[0]`).
 */
export function readTimings(path: string, model: AnyModule, min = MIN_TIMINGS): DeviceTiming[] {
  const json = readJsonFile(path);
  if (!Array.isArray(json)) throw new InputError(`${path}: expected a JSON array of { "arch", "ms" }`);
  if (json.length < min) throw new InputError(`${path}: expected at least ${min} timings, got ${json.length}`);
  const mutator = new RandomMutator(model);
  return json.map((element: unknown, i) => {
    const r = timingSchema.safeParse(element);
    if (!r.success) {
      const issue = r.error.issues[0];
      const field = [`[${i}]`, ...issue.path.map(String)].join('.');
      throw new InputError(`${path}: field '${field}': ${element == null || typeof element !== 'object' ? 'expected an object { "arch", "ms" }' : issue.message}`);
    }
    const arch = underField(path, `[${i}].arch`, () => archFromJson(r.data.arch, model, path, mutator));
    return { arch, ms: r.data.ms };
  });
}

export interface AdaptedDevice {
  table: LatencyTable;
  /** The adapted predictions against the timings they were fitted on. */
  fit: ErrorReport;
}

/**
 * A device from a base device's table and K end-to-end timings on the target: the base's
 * predictions (its block sums and per-block term) mapped to the target's milliseconds by a
 * least-squares line, composed into the base's calibration. The blocks' relative costs are
 * the base's; what the timings fix is the scale and what a run adds.
 */
export function adaptDevice(base: LatencyPredictor, device: string, timings: DeviceTiming[], source: string): AdaptedDevice {
  if (timings.length < MIN_TIMINGS) throw new InputError(`${source}: expected at least ${MIN_TIMINGS} timings, got ${timings.length}`);
  const c: Pick<Calibration, 'model' | 'slope' | 'perBlock' | 'intercept' | 'blockMs'> = base.calibration ?? { model: 'linear', slope: 1, intercept: 0 };
  const basePredictions = timings.map((t) => calibrationLine(base.blockSum(t.arch), base.blockCount(t.arch), c));
  const measured = timings.map((t) => t.ms);
  const { slope, intercept } = fitLinear(basePredictions, measured);
  if (!(slope > 0)) {
    throw new InputError(`${source}: the timings do not grow with the base device's predictions (fitted slope ${slope.toPrecision(3)}); time subnets that differ more in size`);
  }
  const { timing: _baseTiming, referenceMs: _baseReference, ...rest } = base.table;
  const table: LatencyTable = {
    ...rest,
    device,
    host: {},
    createdAt: new Date().toISOString(),
    calibration: {
      model: c.model,
      slope: slope * c.slope,
      ...(c.perBlock != null && { perBlock: slope * c.perBlock }),
      ...(c.blockMs && { blockMs: c.blockMs }),
      intercept: slope * c.intercept + intercept,
      samples: timings.length,
      seed: 0,
    },
    adapted: { from: base.table.device, timings: timings.length },
  };
  const calibration = table.calibration;
  return { table, fit: errorReport(timings.map((t) => calibrated(base.blockSum(t.arch), base.blockCount(t.arch), calibration)), measured) };
}
