import { copyFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fashionMnistData } from './fixture_data.js';

/**
 * Fixture images standing in for the Fashion-MNIST training split: a search holds out 1/12 of
 * them for validation (8) and recalibrates BN on the rest (88). Enough for what the search
 * tests assert (which subnet fits, which is chosen, what is written); accuracy on more images
 * is the business of bench/.
 */
export const SEARCH_FIXTURE_IMAGES = 96;

/**
 * A copy of the shipped supernet (weights and training state) in a temporary folder, the
 * first fixture images as the Fashion-MNIST training split ($HBX_DATA), and an empty
 * $HBX_HOME (a local table profiled there is kept however busy the machine). Sets the variables for in-process CLI calls and returns them for child
 * processes.
 */
export function searchFixture(): { root: string; supernet: string; home: string; env: NodeJS.ProcessEnv } {
  const root = mkdtempSync(join(tmpdir(), 'hbx-search-'));
  const supernet = copySupernet(join('supernets', 'fashion-mnist'), join(root, 'supernet'));
  const home = join(root, 'home');
  process.env.HBX_DATA = fashionMnistData(root, SEARCH_FIXTURE_IMAGES);
  process.env.HBX_HOME = home;
  // Test files run side by side: a local table profiled among them is busy by design, and kept.
  process.env.HBX_LATENCY_FORCE = '1';
  return { root, supernet, home, env: { ...process.env } };
}

/** A new folder holding a supernet's weights and training state (no accuracy cache); returns it. */
export function copySupernet(from: string, to: string): string {
  mkdirSync(to);
  for (const f of ['supernet.safetensors', 'state.json']) copyFileSync(join(from, f), join(to, f));
  return to;
}
