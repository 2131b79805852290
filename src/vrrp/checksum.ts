// The Internet checksum (RFC 1071) and the pseudo-headers VRRP uses. keepalived's in_csum sums
// 16-bit words into a 32-bit accumulator and folds at the end; the ones' complement sum does not
// depend on byte order, so summing big-endian words gives the same bits on the wire.

/** Add the big-endian 16-bit words of data[offset, offset+length) to a running 32-bit sum. */
export function onesSum(data: Uint8Array, offset = 0, length = data.length - offset, sum = 0): number {
  let s = sum;
  const end = offset + length;
  let i = offset;
  for (; i + 1 < end; i += 2) s += (data[i]! << 8) | data[i + 1]!;
  // An odd trailing byte is padded with a zero byte (the high half of the last word).
  if (i < end) s += data[i]! << 8;
  // Fold the carries back in (arithmetic, not bitwise: the sum may pass 2^32 for long inputs).
  while (s > 0xffff) s = (s % 0x10000) + Math.floor(s / 0x10000);
  return s;
}

/** Fold a running sum and complement it: the value that goes in a checksum field. */
export function finishSum(sum: number): number {
  let s = sum;
  while (s > 0xffff) s = (s % 0x10000) + Math.floor(s / 0x10000);
  return ~s & 0xffff;
}

/** The Internet checksum of a byte range (0 when the range already holds a correct checksum). */
export function internetChecksum(data: Uint8Array, offset = 0, length = data.length - offset, sum = 0): number {
  return finishSum(onesSum(data, offset, length, sum));
}

/** Running sum of the IPv4 pseudo-header {src, dst, 0, protocol, length} (RFC 5798 5.2.8). */
export function ipv4PseudoSum(src: Uint8Array, dst: Uint8Array, protocol: number, length: number): number {
  let s = onesSum(src, 0, 4);
  s = onesSum(dst, 0, 4, s);
  return s + protocol + (length & 0xffff);
}

/** Running sum of the IPv6 pseudo-header {src, dst, 32-bit length, 3 zero bytes, next header} (RFC 8200 8.1). */
export function ipv6PseudoSum(src: Uint8Array, dst: Uint8Array, nextHeader: number, length: number): number {
  let s = onesSum(src, 0, 16);
  s = onesSum(dst, 0, 16, s);
  return s + (length >>> 16) + (length & 0xffff) + nextHeader;
}
