// Configs for the keel-vs-keepalived IPVS differential tests (keepalived.guest.ts). Together
// they cover every scheduler the VM's kernel has (6.1: all but twos), NAT/DR/TUN with
// ipip/gue/gre and the checksum flags, persistence (timeout, granularity, engine), one-packet
// scheduling and the sh/mh/flag-N flags, fwmarks, virtual_server_group ranges and fwmarks,
// IPv6 (and an IPv4 tunnel under an IPv6 service), thresholds, lvs_timeouts and sorry servers.

export interface DiffCase {
  name: string;
  conf: string;
  /** Real servers whose checks fail (keel's verdicts; keepalived's checks fail for real). */
  down?: string[];
}

const SCHEDS = ['rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'sed', 'nq', 'fo', 'ovf', 'mh'];

const schedulers = SCHEDS.map((s, i) => `virtual_server 10.0.0.1 ${1001 + i} {
  lvs_sched ${s}
  lvs_method NAT
  protocol TCP
  real_server 10.0.1.${i + 1} 80 {
    weight ${i + 2}
    uthreshold ${100 + i}
    lthreshold ${i}
  }
  real_server 10.0.1.200 8080 {
  }
}
`).join('');

const methods = `global_defs {
  lvs_timeouts tcp 1000 tcpfin 60 udp 100
}
virtual_server 10.0.0.2 80 {
  lvs_sched wlc
  lvs_method DR
  protocol TCP
  real_server 10.0.2.1 80 {
  }
  real_server 10.0.2.2 {
  }
  real_server 10.0.2.3 80 {
    lvs_method TUN
  }
  real_server 10.0.2.4 80 {
    lvs_method TUN type gue port 6080
  }
  real_server 10.0.2.5 80 {
    lvs_method TUN type gue port 6081 csum
  }
  real_server 10.0.2.6 80 {
    lvs_method TUN type gue port 6082 remcsum
  }
  real_server 10.0.2.7 80 {
    lvs_method TUN type gre csum
  }
  real_server 10.0.2.8 80 {
    lvs_method TUN type gre nocsum
  }
  real_server 10.0.2.9 8080 {
    lvs_method NAT
  }
}
virtual_server 10.0.0.3 53 {
  lvs_sched rr
  lvs_method NAT
  protocol UDP
  ops
  real_server 10.0.2.10 5353 {
  }
}
virtual_server 2001:db8::3 443 {
  lvs_sched wrr
  lvs_method TUN
  protocol TCP
  real_server 2001:db8:2::1 443 {
  }
  real_server 10.0.2.11 443 {
  }
}
virtual_server 2001:db8::4 80 {
  lvs_sched lc
  lvs_method NAT
  protocol SCTP
  real_server 2001:db8:2::2 8080 {
    weight 7
  }
}
`;

const persistence = `virtual_server 10.0.0.5 80 {
  lvs_sched sh
  sh-port
  sh-fallback
  lvs_method DR
  protocol TCP
  persistence_timeout
  real_server 10.0.3.1 80 {
  }
}
virtual_server 10.0.0.5 443 {
  lvs_sched mh
  mh-port
  mh-fallback
  lvs_method NAT
  protocol TCP
  persistence_timeout 120
  persistence_granularity 255.255.255.0
  real_server 10.0.3.2 443 {
  }
}
virtual_server 10.0.0.6 5060 {
  lvs_sched rr
  lvs_method NAT
  protocol UDP
  ops
  persistence_timeout 60
  persistence_engine sip
  real_server 10.0.3.3 5060 {
  }
}
virtual_server 10.0.0.7 0 {
  lvs_sched wlc
  flag-1
  flag-2
  flag-3
  lvs_method DR
  protocol TCP
  persistence_timeout 30
  real_server 10.0.3.4 {
  }
}
virtual_server 2001:db8::7 80 {
  lvs_sched dh
  lvs_method NAT
  protocol TCP
  persistence_granularity 48
  real_server 2001:db8:3::1 80 {
  }
}
`;

const groups = `virtual_server fwmark 10 {
  lvs_sched rr
  lvs_method DR
  real_server 10.0.4.1 {
  }
  real_server 10.0.4.2 8080 {
    lvs_method NAT
  }
}
virtual_server fwmark 11 {
  ip_family inet6
  lvs_sched wlc
  lvs_method DR
  real_server 2001:db8:4::1 {
  }
}
virtual_server_group G1 {
  10.0.5.1-3 80
  10.0.5.250-10.0.5.251 80
  10.0.6.0/31 80
}
virtual_server group G1 {
  lvs_sched wrr
  lvs_method DR
  protocol TCP
  persistence_timeout 50
  persistence_granularity 255.255.0.0
  real_server 10.0.4.3 80 {
  }
  real_server 10.0.4.4 8000 {
    lvs_method NAT
  }
}
virtual_server_group G2 {
  fwmark 12
  fwmark 14
}
virtual_server group G2 {
  lvs_sched nq
  lvs_method DR
  real_server 10.0.4.5 {
  }
}
virtual_server_group G6 {
  2001:db8:5::1-3 443
  fwmark 13 inet6
}
virtual_server group G6 {
  lvs_sched sed
  lvs_method NAT
  protocol TCP
  real_server 2001:db8:4::2 8443 {
  }
}
`;

const sorry = `virtual_server 10.0.0.8 80 {
  lvs_sched rr
  lvs_method NAT
  protocol TCP
  sorry_server 10.0.7.99 8080
  sorry_server_inhibit
  real_server 10.0.7.1 80 {
  }
}
virtual_server 10.0.0.9 80 {
  lvs_sched rr
  lvs_method DR
  protocol TCP
  sorry_server 10.0.7.98 80
  real_server 10.0.7.2 80 {
  }
}
virtual_server 10.0.0.10 80 {
  lvs_sched rr
  lvs_method NAT
  protocol TCP
  alpha
  sorry_server 10.0.7.97 80
  sorry_server_lvs_method DR
  real_server 10.0.7.3 80 {
    inhibit_on_failure
    TCP_CHECK {
      connect_ip 127.0.0.1
      connect_port 1
      connect_timeout 1
    }
  }
  real_server 10.0.7.4 80 {
    TCP_CHECK {
      connect_ip 127.0.0.1
      connect_port 1
      connect_timeout 1
    }
  }
}
`;

export const DIFF_CASES: DiffCase[] = [
  { name: 'every scheduler, weights and thresholds', conf: schedulers },
  { name: 'NAT/DR/TUN ipip/gue/gre with checksum flags, ops, IPv6, SCTP, lvs_timeouts', conf: methods },
  { name: 'persistence timeout/granularity/engine, port 0, sh/mh/flag-N flags', conf: persistence },
  { name: 'fwmark services and virtual_server_group ranges and fwmarks', conf: groups },
  { name: 'sorry servers: inhibited, idle, and in use after quorum is lost', conf: sorry, down: ['10.0.7.3', '10.0.7.4'] },
];
