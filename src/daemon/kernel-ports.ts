// The production ports: raw VRRP sockets, rtnetlink, and the packet socket for GARP / NA.
import type { AddressManager, GarpSender, VrrpTransport } from '../net/ports.js';
import { KernelVrrpTransport } from '../net/vrrp-socket.js';
import { PacketGarpSender } from '../net/garp.js';
import { openAddressManager } from '../net/rtnetlink.js';

export interface AddressChange {
  added: boolean;
  address: string;
  prefix: number;
  ifname: string;
}

export interface KernelPorts {
  transport: VrrpTransport;
  addresses: AddressManager;
  garp: GarpSender;
  /** Every address added or removed on the host, by anyone (keepalived's -a). */
  watchAddresses(handler: (c: AddressChange) => void): Promise<void>;
  close(): void;
}

export async function openKernelPorts(): Promise<KernelPorts> {
  const addresses = openAddressManager();
  const garp = new PacketGarpSender();
  const transport = new KernelVrrpTransport();
  return {
    transport, addresses, garp,
    async watchAddresses(handler) {
      const names = new Map<number, string>();
      const learn = async (): Promise<void> => {
        for (const l of await addresses.links()) names.set(l.index, l.name);
      };
      await learn();
      addresses.onLink((e) => { if (e.type === 'new') names.set(e.link.index, e.link.name); });
      addresses.onAddress((e) => {
        if (e.type === 'overrun') return;
        const a = e.address;
        handler({ added: e.type === 'new', address: a.address, prefix: a.prefix, ifname: names.get(a.ifindex) ?? `if${a.ifindex}` });
      });
    },
    close() {
      garp.close();
      addresses.close();
    },
  };
}
