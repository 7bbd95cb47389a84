import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { InputError } from '../../tensor/errors.js';
import type { Distribution, ParamValue } from '../distributions.js';
import { TrialPruned, type Trial } from '../trial.js';

export interface CommandObjectiveOptions {
  /** A shell command; `{name}` is replaced by the trial's value of parameter `name` (shell-quoted). */
  command: string;
  space: Record<string, Distribution>;
  /** How to name the command in errors, e.g. "tune.yaml: field 'objective.command'". */
  where: string;
  timeoutS?: number;
  cwd?: string;
}

const quote = (v: ParamValue): string => `'${String(v).replace(/'/g, `'\\''`)}'`;

/** Fills `{name}` placeholders; an unknown name is an error naming it. */
export function fillCommand(template: string, params: Record<string, ParamValue>, where: string): string {
  return template.replace(/\{([A-Za-z_][A-Za-z0-9_.-]*)\}/g, (_, name: string) => {
    if (!(name in params)) throw new InputError(`${where}: placeholder {${name}} is not a parameter of the space (${Object.keys(params).join(', ')})`);
    return quote(params[name]);
  });
}

type Line = { step: number; value?: number; values?: number[] } | { value?: number; values?: number[] };

/**
 * Any program as an objective. Its stdout lines `{"step": k, "value": v}` are intermediate
 * reports (checked against the pruner; a pruned command gets SIGTERM), and its last JSON line
 * `{"value": v}` or `{"values": [...]}` is the result. The trial's parameters are also in
 * HBX_TRIAL_PARAMS (JSON) and its number in HBX_TRIAL_NUMBER.
 */
export function commandObjective(options: CommandObjectiveOptions): (trial: Trial) => Promise<number[]> {
  return (trial) => {
    const params = Object.fromEntries(Object.entries(options.space).map(([name, d]) => [name, trial.suggest(name, d)]));
    const command = fillCommand(options.command, params, options.where);
    return runCommand(command, trial, params, options);
  };
}

function runCommand(command: string, trial: Trial, params: Record<string, ParamValue>, options: CommandObjectiveOptions): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', command], {
      cwd: options.cwd,
      env: { ...process.env, HBX_TRIAL_NUMBER: String(trial.number), HBX_TRIAL_PARAMS: JSON.stringify(params) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let result: number[] | null = null;
    let pruned = false;
    let stderrTail = '';
    const timer = options.timeoutS ? setTimeout(() => child.kill('SIGTERM'), options.timeoutS * 1000) : null;
    child.stderr.setEncoding('utf8').on('data', (t: string) => (stderrTail = (stderrTail + t).slice(-2000)));
    createInterface({ input: child.stdout }).on('line', (text) => {
      const line = parseLine(text);
      if (!line || pruned) return;
      const values = line.values ?? (line.value != null ? [line.value] : null);
      if (values == null) return;
      if ('step' in line && typeof line.step === 'number') {
        trial.report(values, line.step);
        if (trial.shouldPrune()) {
          pruned = true;
          child.kill('SIGTERM');
        }
      } else result = values;
    });
    child.on('error', (err) => reject(new InputError(`${options.where}: cannot start '${command}' (${err.message})`)));
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      if (pruned) return reject(new TrialPruned(`pruned at step ${[...trial.frozen.intermediate.keys()].at(-1)}`));
      const lastErr = stderrTail.trim().split('\n').at(-1) ?? '';
      const tail = lastErr ? ` (last stderr line: ${lastErr.slice(0, 200)})` : '';
      if (code !== 0) return reject(new InputError(`${options.where}: trial ${trial.number}: '${command}' ${signal ? `was stopped by ${signal}` : `exited with code ${code}`}${tail}`));
      if (result == null) return reject(new InputError(`${options.where}: trial ${trial.number}: '${command}' printed no result line (expected {"value": v} or {"values": [...]} on stdout)${tail}`));
      resolve(result);
    });
  });
}

function parseLine(text: string): Line | null {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{')) return null;
  try {
    const v = JSON.parse(trimmed) as Record<string, unknown>;
    const numbers = (x: unknown) => Array.isArray(x) && x.every((n) => typeof n === 'number');
    if (typeof v.value !== 'number' && !numbers(v.values)) return null;
    return v as Line;
  } catch {
    return null;
  }
}
