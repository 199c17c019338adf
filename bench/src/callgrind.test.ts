import { describe, expect, it } from "vitest";
import { parseCallgrindTotal, underCallgrind } from "./callgrind.js";

describe("callgrind", () => {
  it("reads the instruction total of a dump", () => {
    const dump =
      "# callgrind format\nversion: 1\ncmd: node main.js\nevents: Ir\nsummary: 118803774\n\nfn=(1)\n0 5\ntotals: 118803774\n";
    expect(parseCallgrindTotal(dump)).toBe(118803774);
    expect(() => parseCallgrindTotal("events: Ir\n")).toThrow(/totals/);
  });

  it("runs the server's command under callgrind with dumps in the given directory", () => {
    const launch = underCallgrind("/tmp/cg", "/usr/bin/node", ["main.js"]);
    expect(launch.command).toBe("valgrind");
    expect(launch.args).toContain("--callgrind-out-file=/tmp/cg/callgrind.%p");
    expect(launch.args.slice(-2)).toEqual(["/usr/bin/node", "main.js"]);
  });
});
