#!/usr/bin/env node
// Run every compiled *.test.js under dist/test (or under the directories given) with node's
// test runner. Explicit files, because node --test on a directory would also run helpers and
// benchmarks that live under test/.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const roots = process.argv.slice(2).length ? process.argv.slice(2) : ['dist/test'];
const files = [];
const walk = (p) => {
  if (statSync(p).isDirectory()) for (const f of readdirSync(p).sort()) walk(join(p, f));
  else if (p.endsWith('.test.js')) files.push(p);
};
for (const r of roots) walk(r);
if (!files.length) {
  console.error(`no test files under ${roots.join(' ')}`);
  process.exit(1);
}
const r = spawnSync(process.execPath, ['--test', ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
