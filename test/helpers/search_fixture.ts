import { copyFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A copy of the shipped supernet (weights and training state) in a temporary folder, the
 * 1,000-image fixture standing in for the Fashion-MNIST training split ($HBX_DATA), and an
 * empty $HBX_HOME. Sets the two variables for in-process CLI calls and returns them for
 * child processes.
 */
export function searchFixture(): { root: string; supernet: string; home: string; env: NodeJS.ProcessEnv } {
  const root = mkdtempSync(join(tmpdir(), 'hbx-search-'));
  const supernet = copySupernet(join('supernets', 'fashion-mnist'), join(root, 'supernet'));
  const data = join(root, 'data', 'fashion-mnist');
  mkdirSync(data, { recursive: true });
  for (const split of ['train', 't10k']) {
    copyFileSync('test/fixtures/fashion-mnist/t10k-1000-images-idx3-ubyte.gz', join(data, `${split}-images-idx3-ubyte.gz`));
    copyFileSync('test/fixtures/fashion-mnist/t10k-1000-labels-idx1-ubyte.gz', join(data, `${split}-labels-idx1-ubyte.gz`));
  }
  const home = join(root, 'home');
  process.env.HBX_DATA = join(root, 'data');
  process.env.HBX_HOME = home;
  return { root, supernet, home, env: { ...process.env } };
}

/** A new folder holding a supernet's weights and training state (no accuracy cache); returns it. */
export function copySupernet(from: string, to: string): string {
  mkdirSync(to);
  for (const f of ['supernet.safetensors', 'state.json']) copyFileSync(join(from, f), join(to, f));
  return to;
}
