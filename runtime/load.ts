import { cpus } from 'node:os';

/** CPU time (ms) all cores have spent busy since boot. */
function busyMs(): number {
  return cpus().reduce((acc, c) => acc + c.times.user + c.times.nice + c.times.sys + c.times.irq, 0);
}

function ownMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/**
 * Measures how much CPU other processes used while something ran here: starts now, and each
 * call of the returned function gives the average number of cores kept busy by everything
 * but this process since the start. A timing taken while others kept a core busy is not
 * what the device does alone.
 */
export function otherCpuMeter(): () => number {
  const wall0 = performance.now();
  const busy0 = busyMs();
  const own0 = ownMs();
  return () => {
    const wall = performance.now() - wall0;
    if (wall <= 0) return 0;
    return Math.max(0, busyMs() - busy0 - (ownMs() - own0)) / wall;
  };
}
