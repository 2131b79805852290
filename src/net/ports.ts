// The narrow ports between the VRRP engine and the kernel (DESIGN.md principle 2). Production
// wires the implementations in this folder (raw sockets, rtnetlink, packet sockets); tests and
// the simulator wire in-memory ones that behave like the kernel.
import type { AddressEntry, RouteEntry, RuleEntry } from '../config/blocks/addresses.js';
import type { Family } from '../vrrp/ip.js';

// ---------------------------------------------------------------------------------------------
// VRRP packets

/** A packet a VRRP socket received. */
export interface ReceivedPacket {
  family: Family;
  /** IPv4: the whole IP packet, header included (raw IPv4 sockets deliver it).
   *  IPv6: the VRRP message only (the kernel strips the header); `src`, `dst`, `ttl` say the rest. */
  data: Uint8Array;
  /** Whether `data` starts with the IP header. */
  withIpHeader: boolean;
  src: string;
  /** Destination address (IPv6: from IPV6_PKTINFO; IPv4: from the header). */
  dst: string;
  /** TTL / hop limit as received; -1 when the kernel did not say. */
  ttl: number;
  /** The interface it arrived on. */
  ifindex: number;
}

export interface VrrpSocketOptions {
  family: Family;
  /** Interface to bind to (SO_BINDTODEVICE) and to send multicast from. */
  interface: string;
  /** Multicast groups to join on that interface (224.0.0.18 / ff02::12 or mcast_dst_ip). None for unicast-only. */
  groups: readonly string[];
  /** The protocol to open: 112 (VRRP), or 51 (AH) for IPv4 AH instances. */
  protocol?: number;
}

/**
 * One raw socket for one interface and family (keepalived opens one per interface too). It
 * receives the joined groups' adverts and unicast ones to this host alike (keepalived's separate
 * read socket binds to the group); decoding with an expected instance tells them apart.
 */
export interface VrrpSocket {
  readonly options: VrrpSocketOptions;
  /**
   * Send one packet. IPv4: `packet` is the whole IP packet as encodeAdvert builds it (sent with
   * IP_HDRINCL; `opts` is not used, the header says it all). IPv6: the VRRP message only, sent
   * from `src` (a link-local or configured address) with traffic class 0xc0; the kernel fills
   * the checksum (IPV6_CHECKSUM, as keepalived). Hop limit: `ttl` when given (keepalived's
   * unicast_ttl), else 255 to a multicast group and the kernel's default to a unicast peer, as
   * keepalived sends without unicast_ttl.
   */
  send(packet: Uint8Array, dst: string, opts?: { src?: string; ttl?: number }): Promise<void>;
  /** Every packet received, in arrival order. */
  onPacket(handler: (p: ReceivedPacket) => void): void;
  /** Socket errors after open (ENETDOWN while the link is down...): reported, the socket stays open. */
  onError(handler: (e: Error) => void): void;
  close(): void;
}

export interface VrrpTransport {
  open(options: VrrpSocketOptions): Promise<VrrpSocket>;
}

// ---------------------------------------------------------------------------------------------
// Gratuitous ARP / unsolicited neighbour advertisements

export interface GarpSender {
  /**
   * Announce `addresses` (IPv4: gratuitous ARP requests; IPv6: unsolicited NAs to ff02::1 with
   * the override flag) on `iface`, from `mac` (the interface's, or the VMAC), `repeat` times
   * each, in one go without a process per address. `opts`: keepalived's vrrp_garp_interval /
   * vrrp_gna_interval, the least time between two frames of a family on the interface.
   */
  announce(iface: string, mac: string | undefined, addresses: readonly string[], repeat: number,
    opts?: { garpIntervalMs?: number; gnaIntervalMs?: number }): Promise<void>;
  /** Build (and keep) the frames a later announce() of these addresses will send, ahead of need. */
  prepare?(iface: string, mac: string | undefined, addresses: readonly string[]): void;
  close(): void;
}

// ---------------------------------------------------------------------------------------------
// Links, addresses, routes, rules (rtnetlink)

export interface LinkInfo {
  index: number;
  name: string;
  up: boolean;
  /** IFF_RUNNING / carrier (what keepalived follows). */
  running: boolean;
  mac: string;
  mtu: number;
  /** 'macvlan', 'veth', ... ('' when the kernel gives no kind). */
  kind: string;
  /** For macvlan/vlan: the parent's index. */
  parentIndex?: number;
}

export interface AddressInfo {
  address: string;
  prefix: number;
  family: Family;
  ifindex: number;
  label?: string;
  scope: number;
}

export interface LinkEvent {
  type: 'new' | 'del';
  link: LinkInfo;
}

export interface AddressManager {
  links(): Promise<LinkInfo[]>;
  link(name: string): Promise<LinkInfo | undefined>;
  addresses(ifname?: string): Promise<AddressInfo[]>;
  /**
   * Add an address as the config describes it (every option: brd, scope, label, peer, home,
   * -nodad, mngtmpaddr, noprefixroute, autojoin, preferred_lft), on `ifname` (the entry's `dev`,
   * else the instance's interface or VMAC). Already present is success (returns false).
   */
  addAddress(a: AddressEntry, ifname: string): Promise<boolean>;
  /** Remove an address; already absent is success (returns false). */
  removeAddress(a: AddressEntry, ifname: string): Promise<boolean>;
  /**
   * addAddress / removeAddress for many entries on one interface, with one promise: each entry's
   * outcome in order (true changed, false already so, or the error).
   */
  changeAddresses(entries: readonly AddressEntry[], ifname: string, op: 'add' | 'del'): Promise<(boolean | Error)[]>;
  /** Build (and keep) the messages adding and removing these addresses on `ifname`, ahead of need. */
  prepareAddresses?(entries: readonly AddressEntry[], ifname: string): void;
  /** virtual_routes / static_routes with every option the config carries; `ifname` when the route has no dev. */
  addRoute(r: RouteEntry, ifname?: string): Promise<boolean>;
  removeRoute(r: RouteEntry, ifname?: string): Promise<boolean>;
  addRule(r: RuleEntry): Promise<boolean>;
  removeRule(r: RuleEntry): Promise<boolean>;
  /** Link up/down/added/removed, from RTNLGRP_LINK. */
  onLink(handler: (e: LinkEvent) => void): void;
  /** use_vmac: a macvlan (mode private unless said otherwise) on `parent` with `mac`; reused when present. */
  createMacvlan(name: string, parent: string, mac: string): Promise<LinkInfo>;
  deleteLink(name: string): Promise<boolean>;
  setLinkUp(name: string, up: boolean): Promise<void>;
  close(): void;
}
