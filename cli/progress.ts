import cliProgress from 'cli-progress';
import type { CliIO } from './io.js';

/**
 * Progress for long work: a bar with ETA on a TTY, otherwise a plain line at most every
 * few seconds (and at the end of each phase).
 */
export function progressReporter(io: CliIO, isTTY = Boolean(process.stderr.isTTY)): { update: (phase: string, done: number, total: number, detail?: string) => void; stop: () => void } {
  let bar: cliProgress.SingleBar | undefined;
  let phase = '';
  let lastLine = 0;
  return {
    update(p, done, total, detail = '') {
      if (isTTY) {
        if (p !== phase) {
          bar?.stop();
          bar = new cliProgress.SingleBar({ format: `${p.padEnd(12)} [{bar}] {value}/{total} | ETA {eta_formatted} {detail}`, stream: process.stderr }, cliProgress.Presets.shades_classic);
          bar.start(total, done, { detail });
        }
        bar!.update(done, { detail });
      } else if (p !== phase || done === total || Date.now() - lastLine > 5000) {
        io.err(`${p} ${done}/${total}${detail ? ` ${detail}` : ''}\n`);
        lastLine = Date.now();
      }
      phase = p;
    },
    stop() {
      bar?.stop();
    },
  };
}
