#!/usr/bin/env bash
# keel demo: check the bundled sample configurations and show how a broken one is reported,
# then (as root) run two keel directors in a lab of network namespaces and fail over between them.
set -uo pipefail
cd "$(dirname "$0")/.."
KEEL=./bin/keel
[ -d node_modules ] || npm ci --no-audit --no-fund
[ -f dist/src/daemon/main.js ] || npm run build

echo "== keel -t on every sample in samples/"
for f in samples/*.conf; do
  if $KEEL -t -f "$f" 2>/tmp/keel-demo.$$; then echo "ok    $f"; else echo "FAIL  $f"; cat /tmp/keel-demo.$$; fi
done
rm -f /tmp/keel-demo.$$

echo
echo "== a config with mistakes: keel points at the line"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/broken.conf" <<'CONF'
vrrp_instance VI_1 {
    state MASTER
    interface lo
    virtual_router_id 300
    priorty 100
    advert_int 1
    virtual_ipaddress {
        192.0.2.10/24
    }
}
CONF
cat -n "$tmp/broken.conf"
$KEEL -t -f "$tmp/broken.conf"
echo "(exit code $?)"

echo
if [ "$(id -u)" = 0 ] && command -v ip >/dev/null; then
  node scripts/demo-lab.mjs
else
  echo "== The VRRP lab needs root and iproute2 (network namespaces): run 'sudo npm run demo'"
fi
