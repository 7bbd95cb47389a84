import { Command, CommanderError } from 'commander';
import { HBX_VERSION, initBackend, isInputError } from '../tensor/index.js';
import { registerLatencyCommands } from './commands/latency.js';
import { registerModelCommands } from './commands/model.js';
import { registerRunCommands } from './commands/run.js';
import { registerTrainCommands } from './commands/train.js';
import { registerSpaceCommands } from './commands/space.js';
import { registerSearchCommands } from './commands/search.js';
import { registerTuneCommands } from './commands/tune.js';
import { registerAugmentCommands } from './commands/augment.js';
import { registerDoctorCommand } from './commands/doctor.js';
import { registerNasCommand } from './commands/nas.js';
import { processIO, UsageError, type CliIO } from './io.js';

/** The commands whose work reads no tensor synchronously (webgpu in Node only reads asynchronously). */
const WEBGPU_COMMANDS = ['train', 'eval', 'doctor'];

export function buildProgram(io: CliIO): Command {
  const program = new Command('hbx')
    .description('hardware-aware neural architecture search for edge devices')
    .version(HBX_VERSION)
    .option('--backend <name>', 'compute backend: wasm (default), cpu, tensorflow, webgpu; or set HBX_BACKEND')
    .option('--wasm-threads <n>', 'wasm: XNNPACK threads per engine (1: the single-threaded build, default; up to 8); or set HBX_WASM_THREADS')
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .hook('preAction', async (root, action) => {
      const { backend: name, wasmThreads } = root.opts<{ backend?: string; wasmThreads?: string }>();
      const backend = await initBackend(name, { wasmThreads });
      if (backend.name === 'webgpu' && !WEBGPU_COMMANDS.includes(action.name())) {
        throw new UsageError(`--backend webgpu: serves ${WEBGPU_COMMANDS.map((c) => `hbx ${c}`).join(', ')}; '${action.name()}' reads tensors synchronously, which webgpu cannot do in Node: use --backend wasm`);
      }
    });
  registerSpaceCommands(program, io);
  registerModelCommands(program, io);
  registerLatencyCommands(program, io);
  registerRunCommands(program, io);
  registerTrainCommands(program, io);
  registerSearchCommands(program, io);
  registerTuneCommands(program, io);
  registerAugmentCommands(program, io);
  registerNasCommand(program, io);
  registerDoctorCommand(program, io);
  return program;
}

/**
 * Runs the CLI on `argv` (without node and script) and returns the exit code:
 * 0 success, 1 internal failure, 2 bad input or usage. Errors are one line on stderr;
 * HBX_DEBUG=1 adds the stack.
 */
export async function runCli(argv: string[], io: CliIO = processIO): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander already printed its message (help and version exit with code 0).
      return err.exitCode === 0 ? 0 : 2;
    }
    const usage = isInputError(err) || err instanceof UsageError;
    const message = err instanceof Error ? err.message : String(err);
    io.err(`hbx: ${usage ? '' : 'internal error: '}${message.split('\n')[0]}\n`);
    if (process.env.HBX_DEBUG === '1' && err instanceof Error && err.stack) io.err(`${err.stack}\n`);
    return usage ? 2 : 1;
  }
}
