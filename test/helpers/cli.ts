import { runCli } from '../../cli/index.js';

/** Runs the CLI in-process and captures what it writes. */
export async function hbx(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, { out: (t) => (stdout += t), err: (t) => (stderr += t) });
  return { code, stdout, stderr };
}
