// A throwaway PostgreSQL cluster for tests: Debian's server binaries (package `postgresql`),
// initdb in a temporary directory, listening on a unix socket in that directory only (no TCP
// port to collide with), stopped and removed when the test ends, pass or fail. As root the
// cluster runs as the `postgres` user (the server refuses to run as root).
import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PG_ROOT = '/usr/lib/postgresql';
/** Names the socket file only (the socket lives in the private directory). */
const PORT = 55432;

interface TestLike {
  teardown(fn: () => void | Promise<void>): void;
}

export type PostgresCluster = { readonly url: (database: string) => string; readonly createDatabase: (name: string) => void } | { readonly skip: string };

function pgBin(): string | null {
  if (!existsSync(PG_ROOT)) return null;
  const versions = readdirSync(PG_ROOT)
    .filter((v) => existsSync(join(PG_ROOT, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length === 0 ? null : join(PG_ROOT, versions[0], 'bin');
}

function userId(name: string): number | null {
  const result = spawnSync('id', ['-u', name], { encoding: 'utf8' });
  return result.status === 0 ? Number(result.stdout.trim()) : null;
}

export function startPostgres(t: TestLike): PostgresCluster {
  const bin = pgBin();
  if (bin === null) return { skip: `no PostgreSQL server binaries under ${PG_ROOT} (Debian package postgresql; scripts/install-test-tools.sh installs it as root)` };
  const root = process.getuid?.() === 0;
  const postgresUid = root ? userId('postgres') : null;
  if (root && postgresUid === null) return { skip: 'running as root and there is no postgres user to run the server as' };
  const dir = mkdtempSync(join(tmpdir(), 'toneguard-pg-'));
  if (postgresUid !== null) chownSync(dir, postgresUid, -1);
  const data = join(dir, 'data');
  const asServer = (command: string, args: string[]): ReturnType<typeof spawnSync> =>
    root
      ? spawnSync('runuser', ['-u', 'postgres', '--', join(bin, command), ...args], { encoding: 'utf8', timeout: 60_000 })
      : spawnSync(join(bin, command), args, { encoding: 'utf8', timeout: 60_000 });
  let started = false;
  t.teardown(() => {
    if (started) asServer('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
    rmSync(dir, { recursive: true, force: true });
  });
  const init = asServer('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  if (init.status !== 0) throw new Error(`initdb failed: ${String(init.stderr)}`);
  const start = asServer('pg_ctl', ['-D', data, '-o', `-p ${PORT} -k ${dir} -c listen_addresses=''`, '-w', '-l', join(dir, 'server.log'), 'start']);
  if (start.status !== 0) throw new Error(`pg_ctl start failed: ${String(start.stderr)}${String(start.stdout)}`);
  started = true;
  return {
    url: (database) => `postgresql://postgres@localhost/${database}?host=${encodeURIComponent(dir)}&port=${PORT}`,
    createDatabase: (name) => {
      const result = spawnSync(join(bin, 'createdb'), ['-h', dir, '-p', String(PORT), '-U', 'postgres', name], { encoding: 'utf8', timeout: 30_000 });
      if (result.status !== 0) throw new Error(`createdb ${name} failed: ${result.stderr}`);
    },
  };
}
