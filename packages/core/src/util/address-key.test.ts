import { describe, expect, it } from "vitest";
import { addressLimitKey } from "./address-key.js";

describe("addressLimitKey", () => {
  it("keeps IPv4 addresses and unwraps IPv4-mapped IPv6 ones", () => {
    expect(addressLimitKey("203.0.113.7")).toBe("203.0.113.7");
    expect(addressLimitKey("::ffff:203.0.113.7")).toBe("203.0.113.7");
    expect(addressLimitKey("::FFFF:cb00:7107")).toBe("203.0.113.7");
  });

  it("counts every address of one IPv6 /64 under one key", () => {
    const a = addressLimitKey("2001:db8:1:2:aaaa:bbbb:cccc:1");
    const b = addressLimitKey("2001:0db8:0001:0002::9");
    const c = addressLimitKey("2001:db8:1:2::1%eth0");
    expect(a).toBe("2001:db8:1:2::/64");
    expect(b).toBe(a);
    expect(c).toBe(a);
    expect(addressLimitKey("2001:db8:1:3::1")).toBe("2001:db8:1:3::/64");
    expect(addressLimitKey("::1")).toBe("0:0:0:0::/64");
    expect(addressLimitKey("64:ff9b::198.51.100.1")).toBe("64:ff9b:0:0::/64");
  });

  it("leaves what is not an IP address as it is", () => {
    expect(addressLimitKey("memory")).toBe("memory");
    expect(addressLimitKey(undefined)).toBeUndefined();
  });
});
