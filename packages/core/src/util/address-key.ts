import { isIPv4, isIPv6 } from "node:net";

/**
 * The key a per-address limit counts a client address under: an IPv4 address as it is (an
 * IPv4-mapped IPv6 address such as `::ffff:203.0.113.7` as its IPv4 form), an IPv6 address as
 * its /64 network (`2001:db8:1:2::/64`). One IPv6 host usually holds a whole /64 and can pick a
 * new address in it for every request, so counting single IPv6 addresses would not limit it.
 * Anything else (a Unix socket, a test transport's label) is returned unchanged.
 *
 * @example
 * ```ts
 * addressLimitKey("2001:db8:1:2:aaaa::1"); // "2001:db8:1:2::/64"
 * addressLimitKey("::ffff:203.0.113.7"); // "203.0.113.7"
 * ```
 */
export function addressLimitKey(address: string): string;
export function addressLimitKey(address: string | undefined): string | undefined;
export function addressLimitKey(address: string | undefined): string | undefined {
  if (address === undefined) return undefined;
  const bare = address.trim().replace(/%.*$/, "");
  if (isIPv4(bare)) return bare;
  if (!isIPv6(bare)) return address;
  const groups = ipv6Groups(bare);
  const mapped = groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff;
  if (mapped) {
    const [high = 0, low = 0] = groups.slice(6);
    return [high >> 8, high & 0xff, low >> 8, low & 0xff].join(".");
  }
  return `${groups
    .slice(0, 4)
    .map((g) => g.toString(16))
    .join(":")}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address (`::` expanded, a dotted IPv4 tail split). */
function ipv6Groups(address: string): number[] {
  let text = address.toLowerCase();
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = "", tail] = text.split("::");
  const parse = (part: string) =>
    part === "" ? [] : part.split(":").map((g) => Number.parseInt(g, 16));
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  const zeros = new Array<number>(8 - left.length - right.length).fill(0);
  return [...left, ...zeros, ...right];
}
