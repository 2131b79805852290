// A large, valid keepalived.conf for benchmarks: VRRP instances spread over eth0..eth3 (unique
// VRID per interface) and virtual servers with TCP-checked real servers.
export interface GenOptions {
  instances: number;
  virtualServers: number;
  realServers: number;
}

export function generateConfig({ instances, virtualServers, realServers }: GenOptions): string {
  const out: string[] = ['global_defs {', '    router_id bench', '}', ''];
  for (let i = 0; i < instances; i++) {
    const iface = `eth${Math.floor(i / 255) % 4}`;
    const vrid = (i % 255) + 1;
    out.push(
      `vrrp_instance VI_${i} {`,
      '    state BACKUP',
      `    interface ${iface}`,
      `    virtual_router_id ${vrid}`,
      '    priority 100',
      '    advert_int 1',
      '    authentication {',
      '        auth_type PASS',
      '        auth_pass bench',
      '    }',
      '    virtual_ipaddress {',
      `        10.${Math.floor(i / 250)}.${i % 250}.1/24 dev ${iface}`,
      '    }',
      '}',
    );
  }
  for (let v = 0; v < virtualServers; v++) {
    out.push(
      `virtual_server 10.100.${Math.floor(v / 250)}.${v % 250} 80 {`,
      '    delay_loop 6',
      '    lb_algo wlc',
      '    lb_kind DR',
      '    protocol TCP',
    );
    for (let r = 0; r < realServers; r++) {
      out.push(
        `    real_server 10.${200 + Math.floor(v / 250)}.${v % 250}.${r + 1} 80 {`,
        '        weight 1',
        '        TCP_CHECK {',
        '            connect_timeout 3',
        '        }',
        '    }',
      );
    }
    out.push('}');
  }
  return out.join('\n') + '\n';
}
