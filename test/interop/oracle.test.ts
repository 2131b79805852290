// keepalived 2.2.7 as the oracle for `keel -t`: for every config in the corpus, keel's samples
// and the hand-made cases, keel accepts exactly what keepalived accepts. Both run inside one
// network namespace with interfaces eth0..eth3, so interface checks see the same machine.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { KEEL, ROOT, SHARED, keepalivedUnavailable, netnsUnavailable, sharedUnavailable } from '../helpers/env.js';
import { Netns } from '../helpers/netns.js';

const skip = netnsUnavailable() ?? keepalivedUnavailable();

function configs(): string[] {
  const out: string[] = [];
  const add = (dir: string, filter: (f: string) => boolean): void => {
    if (!existsSync(dir)) return;
    for (const f of readdirSync(dir).sort()) if (filter(f)) out.push(join(dir, f));
  };
  if (!sharedUnavailable()) {
    add(join(SHARED, 'corpus', 'keepalived-samples'), (f) => f.startsWith('keepalived.conf'));
    add(join(SHARED, 'corpus', 'seeds'), (f) => f.includes('keepalived') && f.endsWith('.conf'));
  }
  add(join(ROOT, 'samples'), (f) => f.endsWith('.conf'));
  add(join(ROOT, 'test', 'interop', 'cases'), (f) => f.endsWith('.conf'));
  return out;
}

let ns: Netns | undefined;

before(() => {
  if (skip) return;
  ns = new Netns('keel-oracle').create(4);
});

after(() => ns?.destroy());

test('keel -t accepts and rejects exactly what keepalived -t does', { skip }, () => {
  const files = configs();
  assert.ok(files.length > 10, `expected a corpus of configs, found ${files.length}`);
  const disagreements: string[] = [];
  let sameCode = 0;
  for (const f of files) {
    const ka = ns!.exec('keepalived', ['-t', '-f', f]);
    const keel = ns!.exec(KEEL, ['-t', '-f', f]);
    assert.ok(ka.status !== null, `keepalived -t did not finish on ${f}`);
    assert.ok(keel.status !== null, `keel -t did not finish on ${f}`);
    if (ka.status === keel.status) sameCode++;
    if ((ka.status === 0) !== (keel.status === 0)) {
      disagreements.push(`${f}: keepalived exit ${ka.status}, keel exit ${keel.status}\n` +
        `  keepalived: ${ka.stderr.trim().split('\n').slice(0, 4).join('\n              ')}\n` +
        `  keel:       ${keel.stderr.trim().split('\n').filter((l) => !/ (notice|hint): /.test(l)).slice(0, 4).join('\n              ')}`);
    }
  }
  process.stdout.write(`# oracle: ${files.length} configs, ${files.length - disagreements.length} agree on accept/reject, ${sameCode} on the exact exit code\n`);
  assert.deepEqual(disagreements, [], `keel and keepalived disagree on ${disagreements.length} of ${files.length} configs`);
});
