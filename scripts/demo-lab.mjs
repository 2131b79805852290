// The demo lab: network namespaces on one bridge — two keel directors sharing a VIP, two real
// servers running small HTTP servers, a client. Shows the election, the adverts on the wire
// (keel watch), kills the master and times the failover as the client sees it, then lets the
// master come back and hands over with SIGTERM. Everything is removed at the end (and on Ctrl-C).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Lab } from '../dist/test/helpers/lab.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const KEEL = join(ROOT, 'bin', 'keel');
const VIP = '10.10.0.10';
const dir = mkdtempSync(join(tmpdir(), 'keel-demo-'));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const say = (s = '') => process.stdout.write(s + '\n');

if (process.getuid?.() !== 0) {
  say('The lab needs root (network namespaces): run `sudo npm run demo`.');
  process.exit(1);
}

const lab = new Lab('demo');
let cleaned = false;
const cleanup = () => {
  if (cleaned) return;
  cleaned = true;
  lab.destroy();
  rmSync(dir, { recursive: true, force: true });
};
process.on('SIGINT', () => { cleanup(); process.exit(130); });
process.on('exit', cleanup);

// A real server: answers with its name. A director: forwards port 80 to the real servers in turn
// (the host kernel has no IPVS module here, so a few lines of Node stand in for the load balancer).
const WEB = `require('http').createServer((q, s) => s.end(process.argv[1])).listen(8080, '0.0.0.0')`;
const PROXY = `const http = require('http'); const up = ['10.10.0.21', '10.10.0.22']; let i = 0;
http.createServer((q, s) => { const h = up[i++ % 2];
  http.get({ host: h, port: 8080, path: '/', timeout: 500 }, (r) => { let b = ''; r.on('data', (d) => b += d);
    r.on('end', () => s.end(process.argv[1] + ' -> ' + b)); }).on('error', () => { s.statusCode = 502; s.end(); });
}).listen(80, '0.0.0.0')`;

function config(name, priority) {
  return `global_defs {
  router_id ${name}
}
vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority ${priority}
  advert_int 1
  authentication {
    auth_type PASS
    auth_pass demo1234
  }
  virtual_ipaddress {
    ${VIP}/24
  }
}
`;
}

function startKeel(host, name, priority) {
  const file = join(dir, `${name}.conf`);
  writeFileSync(file, config(name, priority));
  const p = host.spawn(process.execPath, [KEEL, '-n', '-l', '-G', '-f', file, '-p', join(dir, `${name}.pid`), '-r', join(dir, `${name}-vrrp.pid`),
    '-c', join(dir, `${name}-check.pid`), '--control', join(dir, `${name}.sock`)]);
  const state = { last: '', lines: [], proc: p };
  let buf = '';
  p.stderr.on('data', (d) => {
    buf += d.toString();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      state.lines.push(line);
      const m = /\(VI_1\) Entering (\w+) STATE/.exec(line);
      if (m) state.last = m[1];
      if (/Entering|sent 0 priority|Stopped/.test(line)) say(`   [${name}] ${line}`);
    }
  });
  return state;
}

async function until(what, cond, ms) {
  const t0 = performance.now();
  while (!cond()) {
    if (performance.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
  return performance.now() - t0;
}

function curl(client) {
  const r = client.exec(process.execPath, ['-e', `require('http').get({host:'${VIP}',port:80,timeout:300},(r)=>{let b='';r.on('data',d=>b+=d);r.on('end',()=>console.log(b))}).on('error',()=>console.log('(no answer)')).on('timeout',function(){this.destroy()})`], { timeoutMs: 2000 });
  return r.stdout.trim() || '(no answer)';
}

try {
  say('== Building the lab: namespaces dir1, dir2 (keel directors), web1, web2 (HTTP servers), client');
  const dir1 = lab.addHost('dir1', ['10.10.0.11/24']);
  const dir2 = lab.addHost('dir2', ['10.10.0.12/24']);
  const web1 = lab.addHost('web1', ['10.10.0.21/24']);
  const web2 = lab.addHost('web2', ['10.10.0.22/24']);
  const client = lab.addHost('client', ['10.10.0.100/24']);
  web1.spawn(process.execPath, ['-e', WEB, 'web1']);
  web2.spawn(process.execPath, ['-e', WEB, 'web2']);
  dir1.spawn(process.execPath, ['-e', PROXY, 'dir1']);
  dir2.spawn(process.execPath, ['-e', PROXY, 'dir2']);
  say(`   VIP ${VIP}; dir1 priority 150, dir2 priority 100 (configs in ${dir})`);
  say();

  say('== Starting keel on both directors (keel -n -l -f CONF)');
  let k1 = startKeel(dir1, 'dir1', 150);
  const k2 = startKeel(dir2, 'dir2', 100);
  const elect = await until('election', () => k1.last === 'MASTER' && k2.last === 'BACKUP', 15000);
  say(`   elected after ${(elect / 1000).toFixed(1)} s (backups wait 3 adverts + skew before claiming)`);
  say(`   dir1 eth0: ${dir1.ip('-4', '-br', 'addr', 'show', 'eth0').trim()}`);
  say();
  say('== keel status on dir2 (live state from the control socket)');
  const st = spawnSync(process.execPath, [KEEL, 'status', '--control', join(dir, 'dir2.sock')], { encoding: 'utf8' });
  for (const l of (st.stdout || st.stderr).trim().split('\n')) say(`   ${l}`);
  say();

  say('== keel watch eth0 on the client for 2 s (every router on the LAN, and conflicts)');
  const w = client.exec(process.execPath, [KEEL, 'watch', 'eth0', '--seconds', '2'], { timeoutMs: 10000 });
  for (const l of w.stdout.trim().split('\n')) say(`   ${l}`);
  say();

  say('== The client asks the VIP');
  for (let i = 0; i < 4; i++) say(`   ${curl(client)}`);
  say();

  say('== kill -9 the master (dir1): no goodbye, dir2 takes over after 3 missed adverts + skew (3.6 s)');
  // keel, like keepalived, runs VRRP in a child of a supervising parent (which would respawn it,
  // and whose death makes the child stop gracefully): a crash is the parent stopped, the VRRP
  // child killed, then the parent killed.
  const vrrpChild = Number(readFileSync(join(dir, 'dir1-vrrp.pid'), 'utf8'));
  process.kill(k1.proc.pid, 'SIGSTOP');
  let t0 = performance.now();
  process.kill(vrrpChild, 'SIGKILL');
  process.kill(k1.proc.pid, 'SIGKILL');
  await until('dir2 master', () => k2.last === 'MASTER', 10000);
  const failover = performance.now() - t0;
  let answer = curl(client);
  await until('an answer from dir2', () => (answer = curl(client)).startsWith('dir2'), 5000).catch(() => undefined);
  const served = performance.now() - t0;
  say(`   dir2 MASTER ${(failover / 1000).toFixed(2)} s after the kill; the client is served again after ${(served / 1000).toFixed(2)} s: ${answer}`);
  say(`   (dir1 was killed, so its VIP is still on its eth0: ${dir1.ip('-4', '-br', 'addr', 'show', 'eth0').trim()})`);
  say();

  say('== dir1 starts again: it removes the stale VIP, then preempts with its higher priority');
  k1 = startKeel(dir1, 'dir1', 150);
  await until('dir1 master again', () => k1.last === 'MASTER' && k2.last === 'BACKUP', 15000);
  await sleep(300);
  say(`   the client: ${curl(client)}`);
  say();

  say('== SIGTERM to the master: it sends priority 0, so dir2 takes over at once (skew time 0.61 s)');
  t0 = performance.now();
  process.kill(k1.proc.pid, 'SIGTERM');
  await until('dir2 master', () => k2.last === 'MASTER' && k2.lines.length > 0, 5000);
  say(`   dir2 MASTER ${((performance.now() - t0) / 1000).toFixed(2)} s after SIGTERM; the client: ${curl(client)}`);
  say();
  process.kill(k2.proc.pid, 'SIGTERM');
  await sleep(500);
  say('== Removing the lab');
} catch (e) {
  say(`demo failed: ${e.message}`);
  process.exitCode = 1;
} finally {
  cleanup();
  const left = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n').filter((l) => l.startsWith(lab.id));
  say(left.length ? `   left behind: ${left.join(', ')}` : '   done: no namespaces left');
}
