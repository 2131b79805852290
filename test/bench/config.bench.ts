// Benchmark: parse and validate a generated config (300 virtual servers x 100 real servers and
// 1,000 VRRP instances) with `keel -t`, beside `keepalived -t` on the same file in the same run.
// Both run as whole processes inside one network namespace with eth0..eth3; wall time and peak
// memory (max RSS) come from GNU time. Run: npm run bench:config
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateConfig } from './gen-config.js';
import { KEEL, keepalivedUnavailable, netnsUnavailable, which } from '../helpers/env.js';
import { Netns } from '../helpers/netns.js';
import { loadConfigFile } from '../../src/config/build.js';
import { preprocessFile } from '../../src/config/preprocess.js';
import { parseLines } from '../../src/config/parse.js';
import { Diagnostics } from '../../src/config/diagnostics.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);

interface Sample { wall: number; rssKb: number; exit: number }

function timed(prefix: string[], cmd: string, args: string[]): Sample {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M', ...prefix, cmd, ...args], { encoding: 'utf8' });
  const last = r.stderr.trim().split('\n').pop() ?? '';
  const [wall, rss] = last.split(' ').map(Number);
  return { wall: wall ?? NaN, rssKb: rss ?? NaN, exit: r.status ?? -1 };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function row(name: string, samples: Sample[]): string {
  const w = median(samples.map((s) => s.wall));
  const m = Math.max(...samples.map((s) => s.rssKb));
  return `| ${name.padEnd(22)} | ${w.toFixed(3).padStart(8)} s | ${(m / 1024).toFixed(1).padStart(8)} MiB | ${String(samples[0]!.exit).padStart(4)} |`;
}

function main(): void {
  const dir = mkdtempSync(join(tmpdir(), 'keel-bench-'));
  let ns: Netns | undefined;
  try {
    const file = join(dir, 'keepalived.conf');
    const text = generateConfig({ instances: 1000, virtualServers: 300, realServers: 100 });
    writeFileSync(file, text);
    console.log(`config: ${text.split('\n').length - 1} lines, ${(text.length / 1024 / 1024).toFixed(1)} MiB (1,000 vrrp_instance, 300 virtual_server x 100 real_server)`);

    // In-process breakdown (median of RUNS).
    const stages: Record<string, number[]> = { preprocess: [], 'tokenize+grammar': [], 'build (total load)': [] };
    for (let i = 0; i < RUNS; i++) {
      const d = new Diagnostics();
      let t = performance.now();
      const pre = preprocessFile(file, d, { configId: 'bench' });
      stages.preprocess!.push(performance.now() - t);
      t = performance.now();
      parseLines(pre.lines, d);
      stages['tokenize+grammar']!.push(performance.now() - t);
      t = performance.now();
      loadConfigFile(file, { configId: 'bench', interfaceExists: () => true });
      stages['build (total load)']!.push(performance.now() - t);
    }
    console.log('\nin-process stages (median ms):');
    for (const [k, v] of Object.entries(stages)) console.log(`  ${k.padEnd(20)} ${median(v).toFixed(1)}`);

    if (!which('/usr/bin/time') && !which('time')) {
      console.log('\n(GNU time is not installed: apt-get install time) - process comparison skipped');
      return;
    }
    const skip = netnsUnavailable();
    const prefix: string[] = [];
    if (!skip) {
      ns = new Netns('keel-bench').create(4);
      prefix.push('ip', 'netns', 'exec', ns.name);
    }
    const keel: Sample[] = [];
    const ka: Sample[] = [];
    const haveKa = !skip && !keepalivedUnavailable();
    for (let i = 0; i < RUNS; i++) {
      keel.push(timed(prefix, KEEL, ['-t', '-f', file]));
      if (haveKa) ka.push(timed(prefix, 'keepalived', ['-t', '-f', file]));
    }
    console.log(`\n${RUNS} runs each, median wall time, peak RSS:\n`);
    console.log('| command                |     wall   |     peak RSS | exit |');
    console.log('|------------------------|------------|--------------|------|');
    console.log(row('keel -t', keel));
    if (haveKa) console.log(row('keepalived -t (2.2.7)', ka));
    else console.log(`| keepalived -t          | skipped: ${skip ?? keepalivedUnavailable()} |`);
  } finally {
    ns?.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
