// Benchmark: adding and removing 1,000 /32 VIPs on one interface in a network namespace, through
// the rtnetlink AddressManager (pipelined; and one request at a time for comparison) and through
// `ip -batch` with the same 1,000 addresses as the reference. Times are wall clock, median of
// ROUNDS; the AddressManager is timed inside its process (no IPC), `ip -batch` includes its start.
// Run as root: node dist/test/bench/rtnl.bench.js   (BENCH_COUNT, BENCH_ROUNDS override)
import { spawnSync } from 'node:child_process';
import { netnsUnavailable } from '../helpers/env.js';
import { Netns } from '../helpers/netns.js';
import { Agent, manyVips } from '../netns/rtnl-agent.js';

const COUNT = Number(process.env.BENCH_COUNT ?? 1000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const why = netnsUnavailable();
  if (why) {
    console.log(`rtnl bench skipped: ${why}`);
    return;
  }
  const ns = new Netns('krtbench').create(1);
  const agent = new Agent(ns.name);
  const count = (): number => {
    const r = ns.exec('ip', ['-o', '-4', 'addr', 'show', 'dev', 'eth0']);
    return r.stdout.split('\n').filter((l) => l.includes(' 10.200.')).length;
  };
  try {
    const rows: [string, number[], number[]][] = [];
    const run = async (label: string, serial: boolean): Promise<void> => {
      const add: number[] = [];
      const del: number[] = [];
      for (let i = 0; i < ROUNDS; i++) {
        const a = await agent.call<{ ms: number; changed: number }>('bulk', 'add', COUNT, 'eth0', serial);
        if (a.changed !== COUNT || count() !== COUNT) throw new Error(`${label}: ${a.changed} added, ${count()} present`);
        const d = await agent.call<{ ms: number; changed: number }>('bulk', 'remove', COUNT, 'eth0', serial);
        if (d.changed !== COUNT || count() !== 0) throw new Error(`${label}: ${d.changed} removed, ${count()} left`);
        add.push(a.ms);
        del.push(d.ms);
      }
      rows.push([label, add, del]);
    };
    await run('AddressManager, pipelined', false);
    await run('AddressManager, one at a time', true);

    const lines = (op: 'add' | 'del'): string => manyVips(COUNT).map((v) => `addr ${op} ${v.address} dev eth0`).join('\n') + '\n';
    const batch = (op: 'add' | 'del'): number => {
      const t0 = performance.now();
      const r = spawnSync('ip', ['-n', ns.name, '-batch', '-'], { input: lines(op), encoding: 'utf8' });
      const ms = performance.now() - t0;
      if (r.status !== 0) throw new Error(`ip -batch ${op}: ${r.stderr}`);
      return ms;
    };
    const add: number[] = [];
    const del: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      add.push(batch('add'));
      if (count() !== COUNT) throw new Error('ip -batch add');
      del.push(batch('del'));
      if (count() !== 0) throw new Error('ip -batch del');
    }
    rows.push(['ip -batch (reference)', add, del]);

    console.log(`${COUNT} /32 VIPs on one interface, median of ${ROUNDS} rounds (min-max)`);
    console.log('| method | add ms | remove ms | adds/s |');
    console.log('|---|---:|---:|---:|');
    const fmt = (xs: number[]): string => `${median(xs).toFixed(1)} (${Math.min(...xs).toFixed(1)}-${Math.max(...xs).toFixed(1)})`;
    for (const [label, a, d] of rows) console.log(`| ${label} | ${fmt(a)} | ${fmt(d)} | ${Math.round(COUNT / (median(a) / 1000))} |`);
  } finally {
    await agent.stop();
    ns.destroy();
  }
}

await main();
