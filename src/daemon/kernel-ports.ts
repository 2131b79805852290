// The production ports: raw VRRP sockets, rtnetlink, and the packet socket for GARP / NA.
import type { AddressManager, GarpSender, VrrpTransport } from '../net/ports.js';
import { KernelVrrpTransport } from '../net/vrrp-socket.js';
import { PacketGarpSender } from '../net/garp.js';
import { openAddressManager } from '../net/rtnetlink.js';

export interface KernelPorts {
  transport: VrrpTransport;
  addresses: AddressManager;
  garp: GarpSender;
  close(): void;
}

export async function openKernelPorts(): Promise<KernelPorts> {
  const addresses = openAddressManager();
  const garp = new PacketGarpSender();
  const transport = new KernelVrrpTransport();
  return {
    transport, addresses, garp,
    close() {
      garp.close();
      addresses.close();
    },
  };
}
