// Inside the test VM: for each config, the table real keepalived 2.2.7 programs and the table
// keel programs (desiredTable + reconcile) must read back the same with `ipvsadm -Sn` (and the
// same thresholds and timeouts). Also keel's own formatter must print what ipvsadm prints.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfigText } from '../../src/config/build.js';
import { desiredTable } from '../../src/ipvs/from-config.js';
import type { NetlinkIpvs } from '../../src/ipvs/client.js';
import { formatSave } from '../../src/ipvs/format.js';
import { reconcile, startIpvs } from '../../src/ipvs/reconcile.js';
import type { RsVerdict } from '../../src/ipvs/from-config.js';
import { guestIpvs, ipvsadm, keepalivedTable, lineCount, resetIpvs } from './guest.js';
import { DIFF_CASES } from './cases.js';

let c!: NetlinkIpvs;
const skip = guestIpvs((x) => { c = x; });

/** What the other views show beside -Sn: thresholds (not in -Sn) and timeouts. */
function extraViews(): string {
  return ipvsadm('-Ln', '--thresholds') + ipvsadm('-Ln', '--timeout');
}

for (const tc of DIFF_CASES) {
  test(`same table as keepalived: ${tc.name}`, { skip }, async () => {
    const loaded = loadConfigText(tc.conf);
    const errors = loaded.diagnostics.list.filter((d) => d.severity === 'error' || d.severity === 'warning');
    assert.deepEqual(errors.map((d) => d.message), [], 'the case config must load cleanly');
    const verdict: RsVerdict | undefined = tc.down ? (vs, rs) => (tc.down!.includes(rs.ip) ? undefined : { weight: rs.weight }) : undefined;
    const table = desiredTable(loaded.config, verdict);
    const expectLines = table.services.reduce((n, s) => n + 1 + s.dests.length, 0);

    resetIpvs();
    const ka = await keepalivedTable(tc.conf, expectLines, { read: extraViews });
    assert.ok(lineCount(ka.save) > 0, `keepalived programmed nothing:\n${ka.log.slice(-3000)}`);
    resetIpvs();

    const r = await startIpvs(c, loaded.config, table);
    assert.deepEqual(r.errors.map((e) => e.message), []);
    const keel = ipvsadm('-Sn');
    assert.equal(keel, ka.save, `keel vs keepalived (ipvsadm -Sn); keepalived log:\n${ka.log.slice(-1500)}`);
    assert.equal(extraViews(), ka.extra, 'thresholds / timeouts');
    assert.equal(formatSave(await c.dump()), keel, 'keel ipvs save vs ipvsadm -Sn');
    // And a second pass finds nothing to do.
    const again = await reconcile(c, table);
    assert.deepEqual(again.plan, []);
  });
}
