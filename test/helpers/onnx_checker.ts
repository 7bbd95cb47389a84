import { runChild } from './child.js';

/** A python3 that can `import onnx` (Debian's python3-onnx lives under /usr/bin/python3). */
export async function pythonWithOnnx(): Promise<string | undefined> {
  for (const py of ['/usr/bin/python3', 'python3']) {
    const r = await runChild(py, ['-c', 'import onnx']).catch(() => undefined);
    if (r?.status === 0) return py;
  }
  return undefined;
}

/** Runs onnx.checker.check_model(full_check=True) on each file; returns one line per file. */
export async function checkOnnxFiles(python: string, files: string[]): Promise<string[]> {
  const script = [
    'import sys, onnx',
    'for f in sys.argv[1:]:',
    '    try:',
    '        onnx.checker.check_model(onnx.load(f), full_check=True)',
    '        print("ok", f)',
    '    except Exception as e:',
    '        print("FAIL", f, str(e).splitlines()[0])',
  ].join('\n');
  const r = await runChild(python, ['-c', script, ...files]);
  if (r.status !== 0) throw new Error(`onnx checker failed to run: ${r.stderr}`);
  return r.stdout.trim().split('\n');
}
