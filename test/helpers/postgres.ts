import { chownSync, existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { runChild } from './child.js';

/** Debian's PostgreSQL binaries (package postgresql), newest version first; null when not installed. */
export function postgresBin(): string | null {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return null;
  const versions = readdirSync(base).sort((a, b) => Number(b) - Number(a));
  const dir = versions.map((v) => join(base, v, 'bin')).find((d) => existsSync(join(d, 'initdb')));
  return dir ?? null;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

export interface PostgresServer {
  url: string;
  stop: () => Promise<void>;
}

/**
 * A throwaway cluster on a loopback port (trust authentication, no fsync). PostgreSQL will not
 * run as root, so as root the cluster belongs to Debian's postgres user.
 */
export async function startPostgres(): Promise<PostgresServer> {
  const bin = postgresBin();
  if (!bin) throw new Error('PostgreSQL is not installed (Debian package postgresql)');
  const dir = mkdtempSync(join(tmpdir(), 'hbx-pg-'));
  const asRoot = userInfo().uid === 0;
  const run = async (program: string, args: string[]) => {
    const [command, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', join(bin, program), ...args]] : [join(bin, program), args];
    const r = await runChild(command, argv);
    if (r.status !== 0) throw new Error(`${program} failed (${r.status}): ${r.stderr.trim().split('\n').at(-1)}`);
  };
  if (asRoot) {
    const { stdout } = await runChild('id', ['-u', 'postgres']);
    const { stdout: gid } = await runChild('id', ['-g', 'postgres']);
    chownSync(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  const data = join(dir, 'data');
  await run('initdb', ['-D', data, '-A', 'trust', '-U', 'hbx', '--no-sync', '--no-instructions']);
  const port = await freePort();
  await run('pg_ctl', ['-D', data, '-l', join(dir, 'log'), '-w', '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, 'start']);
  return {
    url: `postgresql://hbx@127.0.0.1:${port}/postgres`,
    stop: () => run('pg_ctl', ['-D', data, '-m', 'immediate', 'stop']),
  };
}
