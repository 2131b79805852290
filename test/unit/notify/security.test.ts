// Script security end to end: a notify script or vrrp_script that a non-root user could change
// (the file, or a directory above it) is refused under enable_script_security with a message naming
// it and why; without it keepalived's SECURITY VIOLATION warning, and the script still runs.
import assert from 'node:assert/strict';
import { chmodSync, chownSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadConfigText } from '../../../src/config/build.js';
import { memoryLogger } from '../../../src/daemon/log.js';
import { Notifier } from '../../../src/notify/notifier.js';
import { TrackerSet } from '../../../src/track/tracker-set.js';
import { isRoot } from '../../helpers/env.js';
import { recorder, tempDir } from './helpers.js';

const NOBODY = 65534;

describe('script security', { skip: isRoot() ? false : 'needs root (chown to nobody)' }, () => {
  const t = tempDir('sec');
  after(() => t.remove());
  // A directory nobody owns: anything under it can be swapped by that user.
  const dir = join(t.dir, 'nobodys');
  const out = join(t.dir, 'out');
  let notify = '';
  let chk = '';
  const text = (secure: boolean): string => `
global_defs {
  ${secure ? 'enable_script_security' : ''}
  script_user root
}
vrrp_script chk {
  script ${chk}
}
vrrp_instance VI_1 {
  interface lo
  virtual_router_id 51
  priority 100
  virtual_ipaddress { 192.0.2.1/32 }
  notify ${notify}
  track_script { chk }
}
`;

  it('refuses scripts under a directory a non-root user owns, naming them', () => {
    mkdirSync(dir, { mode: 0o755 });
    notify = recorder(dir, 'notify', out);
    chk = recorder(dir, 'chk', out);
    chownSync(dir, NOBODY, NOBODY);
    const r = loadConfigText(text(true));
    const messages = r.diagnostics.list.map((d) => d.message);
    assert.equal(r.config.vrrp_instances[0]!.notify, undefined, messages.join('\n'));
    assert.ok(messages.some((m) => m.includes(`Unsafe permissions found for script '${notify}' - disabling.`)), messages.join('\n'));
    assert.ok(messages.some((m) => m.includes('Disabling track script chk due to insecure')), messages.join('\n'));
    // Nothing left to run: the notifier starts no script, the tracker set runs no check.
    const n = new Notifier(r.config, memoryLogger());
    n.handle({ type: 'notify', instance: 'VI_1', state: 'MASTER', priority: 100 });
    assert.equal(n.calls.length, 0);
    assert.deepEqual(new TrackerSet(r.config, memoryLogger()).initialValues(), {});
  });

  it('a group-writable script file is refused too', () => {
    const r0 = loadConfigText(text(true));
    assert.equal(r0.config.vrrp_instances[0]!.notify, undefined);
    chownSync(dir, 0, 0);
    const ok = loadConfigText(text(true));
    assert.ok(ok.config.vrrp_instances[0]!.notify, ok.diagnostics.list.map((d) => d.message).join('\n'));
    chownSync(notify, 0, NOBODY);
    chmodSync(notify, 0o775);
    const r = loadConfigText(text(true));
    assert.equal(r.config.vrrp_instances[0]!.notify, undefined);
    assert.ok(r.diagnostics.list.some((d) => d.message.includes(`Unsafe permissions found for script '${notify}'`)));
    chmodSync(notify, 0o755);
    chownSync(notify, 0, 0);
  });

  it('without enable_script_security: keepalived\'s warning, and the scripts still run', () => {
    chownSync(dir, NOBODY, NOBODY);
    const r = loadConfigText(text(false));
    const messages = r.diagnostics.list.map((d) => d.message);
    assert.ok(messages.includes('SECURITY VIOLATION - scripts are being executed but script_security not enabled. There are insecure scripts.'), messages.join('\n'));
    assert.ok(messages.some((m) => m.includes(`Unsafe permissions found for script '${notify}'.`)), messages.join('\n'));
    assert.ok(r.config.vrrp_instances[0]!.notify);
    assert.deepEqual(new TrackerSet(r.config, memoryLogger()).initialValues(), { 'script:chk': 'init' });
  });
});
