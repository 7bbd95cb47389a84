import type { Command } from 'commander';
import { diagnoseBackends } from '../../tensor/index.js';
import { printJson, type CliIO } from '../io.js';

export function registerDoctorCommand(program: Command, io: CliIO): void {
  program
    .command('doctor')
    .description('which compute backends work on this machine, and why the others do not')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      const diagnosis = await diagnoseBackends();
      if (opts.json) return printJson(io, diagnosis);
      io.out(`${diagnosis.cores} cores\n`);
      for (const b of diagnosis.backends) {
        io.out(`${b.works ? 'ok  ' : 'no  '} ${b.name.padEnd(10)} ${b.detail}\n`);
        if (b.fix) io.out(`${' '.repeat(16)}fix: ${b.fix}\n`);
      }
    });
}
