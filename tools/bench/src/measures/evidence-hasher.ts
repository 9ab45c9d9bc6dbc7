import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Bench, type Measure, median } from '../harness.js';

const require = createRequire(import.meta.url);
const MiB = 1024 * 1024;
const GNU_TIME = '/usr/bin/time';

/** One timed run: wall time in ms and, when GNU time is there, peak RSS in KiB and CPU time in ms. */
function timed(
  command: string,
  args: string[],
  options: { input?: string } = {},
): { ms: number; rssKiB?: number; cpuMs?: number } {
  const measured = existsSync(GNU_TIME);
  const start = performance.now();
  const result = measured
    ? spawnSync(GNU_TIME, ['-f', 'RSS_KIB=%M CPU_S=%U+%S', command, ...args], {
        stdio: [options.input ? 'pipe' : 'ignore', 'ignore', 'pipe'],
        input: options.input,
        encoding: 'utf8',
      })
    : spawnSync(command, args, {
        stdio: [options.input ? 'pipe' : 'ignore', 'ignore', 'pipe'],
        input: options.input,
        encoding: 'utf8',
      });
  const ms = performance.now() - start;
  if (result.status !== 0 && result.status !== 1)
    throw new Error(`${command} ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  const rss = /RSS_KIB=(\d+) CPU_S=([\d.]+)\+([\d.]+)/.exec(result.stderr ?? '');
  return {
    ms,
    rssKiB: rss ? Number(rss[1]) : undefined,
    cpuMs: rss ? (Number(rss[2]) + Number(rss[3])) * 1000 : undefined,
  };
}

/** Writes `totalBytes` of incompressible data split over `count` files (100 per directory). */
function makeTree(root: string, totalBytes: number, count: number): string[] {
  const block = randomBytes(MiB);
  const perFile = Math.floor(totalBytes / count);
  const paths: string[] = [];
  for (let index = 0; index < count; index++) {
    const dir = count === 1 ? root : join(root, `d${Math.floor(index / 100)}`);
    mkdirSync(dir, { recursive: true });
    const path = join(dir, `f${index}.bin`);
    const fd = openSync(path, 'w');
    let written = 0;
    let offset = (index * 4099) % MiB;
    while (written < perFile) {
      const take = Math.min(perFile - written, MiB - offset);
      writeSync(fd, block, offset, take);
      written += take;
      offset = 0;
    }
    closeSync(fd);
    paths.push(path);
  }
  return paths;
}

/**
 * `runwarden evidence hash --out` (Node start-up, walk, worker pool, four
 * documents written) against `sha256sum` and `openssl dgst -sha256` on the
 * same files, cache warm (for many files also the package alone in a fresh
 * process, without the CLI, and the CLI on an empty tree, its fixed cost): 1 GiB in one file and 1 GiB in 10,000 files (quick:
 * the many files shrink to 256 MiB in 2,000; the one file stays 1 GiB, since at
 * a smaller size Node's start-up, not the hashing, decides the ratio). Peak RSS
 * of the hashing process via GNU time.
 */
/** `a–b` in whole ms. */
function spread(values: number[]): string {
  return `${Math.round(Math.min(...values))}–${Math.round(Math.max(...values))}`;
}

export const evidenceHasherBench: Bench = async ({ quick, workDir }) => {
  const cli = join(require.resolve('runwarden/package.json'), '..', 'bin', 'runwarden.cjs');
  // The package the CLI bundles, resolved from the CLI's own dependencies.
  const evidenceHasher = join(
    createRequire(require.resolve('runwarden/package.json')).resolve(
      '@runwarden/evidence-hasher/package.json',
    ),
    '..',
    'dist',
    'index.js',
  );
  const manyBytes = quick ? 256 * MiB : 1024 * MiB;
  const manyCount = quick ? 2000 : 10_000;
  const rounds = quick ? 2 : 3;
  const base = mkdtempSync(join(workDir, 'evidence-'));
  const emptyRoot = join(base, 'empty');
  const emptyOut = join(base, 'empty-evidence');
  mkdirSync(emptyRoot);
  const measures: Measure[] = [];
  let peakRssKiB = 0;
  try {
    const scenarios = [
      {
        name: 'one-file',
        count: 1,
        bytes: 1024 * MiB,
        targets: { openssl: '>=0.8', sha256sum: '>=1' },
      },
      {
        name: 'many-files',
        count: manyCount,
        bytes: manyBytes,
        targets: { openssl: '>=1', sha256sum: '>=3' },
      },
    ];
    for (const scenario of scenarios) {
      const totalBytes = scenario.bytes;
      const root = join(base, scenario.name);
      const paths = makeTree(root, totalBytes, scenario.count);
      // Settle the fresh data on disk: otherwise the first fsync of an evidence
      // document waits for the writeback of the whole tree (ext4 data=ordered).
      spawnSync('sync');
      const list = join(base, `${scenario.name}.list`);
      writeFileSync(list, `${paths.join('\0')}\0`);
      const out = join(base, `${scenario.name}-evidence`);
      const ours = () =>
        timed(process.execPath, [cli, 'evidence', 'hash', root, '--out', out, '--json']);
      // The package alone, in a fresh process: its import, the walk, the pool
      // and the four documents, without the CLI's start-up (issue 15's CLI part).
      const library = () =>
        timed(process.execPath, [
          '--input-type=module',
          '-e',
          `const { writeEvidenceAsync } = await import(${JSON.stringify(pathToFileURL(evidenceHasher).href)});
           await writeEvidenceAsync(${JSON.stringify(root)}, { outDir: ${JSON.stringify(out)} });`,
        ]);
      // The CLI's fixed cost: the same command on an empty tree.
      const empty = () =>
        timed(process.execPath, [cli, 'evidence', 'hash', emptyRoot, '--out', emptyOut, '--json']);
      const sha256sum = () => timed('sh', ['-c', `xargs -0 sha256sum < '${list}'`]);
      const openssl = () => timed('sh', ['-c', `xargs -0 openssl dgst -sha256 < '${list}'`]);
      // Warm the page cache once, then alternate so drift hits all alike. sha256sum
      // (no SHA-NI path, ~5x slower) runs once in quick mode to stay within its time.
      openssl();
      const times = {
        ours: [] as number[],
        library: [] as number[],
        empty: [] as number[],
        sha256sum: [] as number[],
        openssl: [] as number[],
      };
      const cpu = {
        ours: [] as number[],
        library: [] as number[],
        empty: [] as number[],
        sha256sum: [] as number[],
        openssl: [] as number[],
      };
      const record = (name: keyof typeof times, run: { ms: number; cpuMs?: number }) => {
        times[name].push(run.ms);
        if (run.cpuMs !== undefined) cpu[name].push(run.cpuMs);
      };
      for (let round = 0; round < rounds; round++) {
        const run = ours();
        record('ours', run);
        peakRssKiB = Math.max(peakRssKiB, run.rssKiB ?? 0);
        record('openssl', openssl());
        if (scenario.count > 1) {
          const run = library();
          record('library', run);
          peakRssKiB = Math.max(peakRssKiB, run.rssKiB ?? 0);
          record('empty', empty());
          record('openssl', openssl());
        }
        if (!quick || round === 0) record('sha256sum', sha256sum());
      }
      const throughput = (ms: number) => totalBytes / MiB / (ms / 1000);
      const cpuNote = (name: keyof typeof cpu) =>
        cpu[name].length > 0 ? `${(median(cpu[name]) / 1000).toFixed(2)} s` : 'n/a';
      const load = loadavg()[0]!.toFixed(1);
      const size = `${totalBytes / MiB} MiB in ${scenario.count} file${scenario.count === 1 ? '' : 's'}`;
      for (const peer of ['openssl', 'sha256sum'] as const) {
        const informational = (scenario.name === 'one-file') !== (peer === 'openssl');
        measures.push({
          id: `evidence-hasher/${scenario.name}-vs-${peer}`,
          ours: throughput(median(times.ours)),
          peer: {
            name: peer === 'openssl' ? 'openssl-dgst-sha256' : 'sha256sum',
            value: throughput(median(times[peer])),
          },
          unit: 'MiB/s',
          target: scenario.targets[peer],
          notes: `${size}${quick ? ' (quick)' : ''}, cache warm, median of ${times[peer].length} (ours ${rounds}; spread ours ${spread(times.ours)} ms, ${peer} ${spread(times[peer])} ms); ours = runwarden evidence hash --out (node start-up + walk + pool + 4 documents)${times.empty.length > 0 ? `, of which the CLI's fixed cost (an empty tree) ${Math.round(median(times.empty))} ms` : ''}; CPU user+sys ours ${cpuNote('ours')}, ${peer} ${cpuNote(peer)}; load average ${load}${informational ? '; no target in issue 7: at least as fast' : ''}`,
        });
      }
      if (times.library.length > 0)
        measures.push({
          id: `evidence-hasher/${scenario.name}-library-vs-openssl`,
          ours: throughput(median(times.library)),
          peer: { name: 'openssl-dgst-sha256', value: throughput(median(times.openssl)) },
          unit: 'MiB/s',
          target: '>=1',
          notes: `${size}${quick ? ' (quick)' : ''}, cache warm, median of ${times.library.length} (spread ours ${spread(times.library)} ms, openssl ${spread(times.openssl)} ms); ours = node -e 'writeEvidenceAsync(root)' (node start-up + package import + walk + pool + 4 documents; no CLI); CPU user+sys ours ${cpuNote('library')}, openssl ${cpuNote('openssl')}; load average ${load}`,
        });
      rmSync(root, { recursive: true, force: true });
      rmSync(out, { recursive: true, force: true });
    }
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
  if (peakRssKiB > 0)
    measures.push({
      id: 'evidence-hasher/peak-rss',
      ours: peakRssKiB / 1024,
      peer: { name: 'budget', value: 150 },
      unit: 'MiB',
      target: '<=1',
      notes: 'max VmHWM of the runwarden evidence hash process over all runs (GNU time %M)',
    });
  else
    process.stderr.write(
      'bench: evidence-hasher/peak-rss skipped: /usr/bin/time (GNU time) is not installed\n',
    );
  return measures;
};
