import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    pool: 'forks',
    // One worker per core: vitest's default leaves one core idle, which on a 2-core machine runs the files one at a time.
    maxWorkers: availableParallelism(),
    minWorkers: 1,
  },
});
