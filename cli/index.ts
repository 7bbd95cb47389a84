export { runCli, buildProgram } from './program.js';
export type { CliIO } from './io.js';
