// Scripts that hang, crash, are missing or are not executable never stop a failover: keel, the
// backup, has one of each as its notify scripts and a tracked script that hangs past its timeout;
// the keepalived master dies and keel takes over within the protocol bound, holds the VIP, and
// hands back when the master returns.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { keepalivedUnavailable, netnsUnavailable } from '../helpers/env.js';
import { globalDefs, hasAddress, instance, labFixture, tempDir, waitFor } from '../helpers/vrrp-lab.js';

const skip = netnsUnavailable() ?? keepalivedUnavailable();
const fx = labFixture();

test('a hung, a crashing, a missing and a non-executable script never hold up a failover', { skip, timeout: 90_000 }, async () => {
  const lab = fx.lab('nb');
  const a = lab.addHost('a', ['10.77.0.1/24']);
  const b = lab.addHost('b', ['10.77.0.2/24']);
  const dir = tempDir('nb');
  chmodSync(dir, 0o755);
  const hang = join(dir, 'hang.sh');
  const crash = join(dir, 'crash.sh');
  const noexec = join(dir, 'noexec.sh');
  const slowcheck = join(dir, 'slowcheck.sh');
  writeFileSync(hang, "#!/bin/sh\ntrap '' TERM\nsleep 1000\n", { mode: 0o755 });
  writeFileSync(crash, '#!/bin/sh\nkill -SEGV $$\n', { mode: 0o755 });
  writeFileSync(noexec, '#!/bin/sh\nexit 0\n', { mode: 0o644 });
  // Succeeds at first, then hangs past its 1 s timeout (a weight-0 script: failing means FAULT
  // only if it is counted as failed, which keepalived does on a timeout; here weight -10 keeps
  // keel able to take over while the script misbehaves).
  writeFileSync(slowcheck, `#!/bin/sh\n[ -e ${join(dir, 'slow')} ] && exec sleep 30\nexit 0\n`, { mode: 0o755 });
  const scripts = `  notify_master "${hang}"\n  notify_backup "${join(dir, 'missing.sh')}"\n  notify_fault "${noexec}"\n  notify "${crash}"\n` +
    '  track_script {\n    slow\n  }';
  const conf = globalDefs('a', '  enable_script_security\n  script_user root\n') +
    `vrrp_script slow {\n  script "${slowcheck}"\n  interval 1\n  timeout 1\n  weight -10\n}\n` +
    instance({ priority: 100, extra: scripts });
  const m = fx.router('keepalived', b, globalDefs('b') + instance({ priority: 150 }));
  await waitFor('keepalived master', () => m.state() === 'MASTER', 15_000, [m]);
  const n = fx.router('keel', a, conf);
  await waitFor('keel backup', () => n.state() === 'BACKUP', 15_000, [m, n]);
  writeFileSync(join(dir, 'slow'), '');
  await new Promise((r) => setTimeout(r, 2_500));

  const t0 = performance.now();
  m.crash();
  await waitFor('keel takes over', () => n.enteredAt('MASTER', t0) !== undefined && hasAddress(a, '10.77.0.100'), 10_000, [m, n]);
  const took = n.enteredAt('MASTER', t0)! - t0;
  // Priority 100 - 10 (the timed-out script) = 90: 3 s + (256 - 90) / 256 s = 3.65 s at most.
  assert.ok(took < 4_500, `failover took ${took.toFixed(0)} ms`);
  assert.ok(n.lines.some((l) => /slow/.test(l.text) && /timed.?out/i.test(l.text)), 'the hung tracked script is reported as timed out');
  assert.ok(n.lines.some((l) => /missing\.sh/.test(l.text)), 'the missing script is reported');

  // The master comes back: keel hands over, with its scripts still misbehaving.
  const m2 = fx.router('keepalived', b, globalDefs('b') + instance({ priority: 150 }));
  const t1 = performance.now();
  await waitFor('hand back', () => n.enteredAt('BACKUP', t1) !== undefined && m2.state() === 'MASTER' && !hasAddress(a, '10.77.0.100'), 15_000, [m2, n]);
  n.kill('SIGTERM');
  assert.equal(await n.exited(), 0);
});
