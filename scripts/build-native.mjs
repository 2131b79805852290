#!/usr/bin/env node
// Build keel's N-API addon (native/keel_net.c) with node-gyp: the one npm bundles (on PATH under
// `npm run`), against the Node headers the system has (Debian's /usr/include/node) so nothing is
// downloaded. Re-running only recompiles what changed.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dir = join(root, 'native');

/** node-gyp's command: npm's setting, npm's bundled copy beside this node, or PATH. */
function nodeGyp() {
  const fromNpm = process.env.npm_config_node_gyp;
  if (fromNpm && existsSync(fromNpm)) return [process.execPath, fromNpm];
  const bundled = join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  if (existsSync(bundled)) return [process.execPath, bundled];
  return ['node-gyp'];
}

/** Headers already on the machine, so node-gyp does not try to download them. */
function nodedirArgs() {
  if (process.env.npm_config_nodedir) return [`--nodedir=${process.env.npm_config_nodedir}`];
  const prefix = resolve(dirname(process.execPath), '..');
  for (const d of [prefix, '/usr', '/usr/local']) {
    if (existsSync(join(d, 'include', 'node', 'node_api.h'))) return [`--nodedir=${d}`];
  }
  return [];
}

function run(args) {
  const [cmd, ...rest] = nodeGyp();
  const r = spawnSync(cmd, [...rest, ...args, ...nodedirArgs()], { cwd: dir, stdio: 'inherit' });
  if (r.error) {
    console.error(`build-native: cannot run node-gyp (${r.error.message}); it comes with npm`);
    process.exit(1);
  }
  if (r.status !== 0) {
    console.error('build-native: building native/keel_net.c failed; it needs python3, make, a C compiler and Node\'s headers');
    process.exit(r.status ?? 1);
  }
}

if (!existsSync(join(dir, 'build', 'Makefile'))) run(['configure']);
run(['build']);
