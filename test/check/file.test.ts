// FILE_CHECK: a real server follows a track_file's value.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Run } from './harness.js';

describe('FILE_CHECK', () => {
  it('weight 0: non-zero takes the server out; otherwise the value scales its weight', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keel-file-'));
    const gate = join(dir, 'gate');
    const scale = join(dir, 'scale');
    writeFileSync(gate, '0\n');
    writeFileSync(scale, '0\n');
    const run = new Run(`
track_file gate {
  file ${gate}
}
track_file scale {
  file ${scale}
  weight 2
}
virtual_server 10.255.0.9 80 {
  lvs_sched rr
  lvs_method NAT
  protocol TCP
  real_server 127.0.0.1 80 {
    weight 1
    FILE_CHECK {
      track_file gate
      weight 0
    }
  }
  real_server 127.0.0.2 80 {
    weight 1
    FILE_CHECK {
      track_file scale
    }
  }
}`);
    const dests = (): string[] => run.engine.table().services[0]!.dests.map((d) => `${d.address}/${d.weight}`);
    try {
      assert.deepEqual(dests(), ['127.0.0.1/1', '127.0.0.2/1']);
      writeFileSync(gate, '1\n');
      writeFileSync(scale, '3\n');
      await run.until(() => !!run.event('[127.0.0.1]:tcp:80', false) && dests().includes('127.0.0.2/7'), 7000, 'file changes seen');
      assert.deepEqual(dests(), ['127.0.0.2/7']);
      writeFileSync(gate, '0\n');
      await run.until(() => !!run.event('[127.0.0.1]:tcp:80', true), 7000, 'back up');
      assert.deepEqual(dests(), ['127.0.0.1/1', '127.0.0.2/7']);
    } finally {
      run.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
