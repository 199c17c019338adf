import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { deflateSync } from "node:zlib";
import type { Browser, BrowserContext, WebSocketRoute } from "playwright-core";
import { REPO_ROOT } from "./server-process.js";

const run = promisify(execFile);

/** Debian's `chromium` package (`.ci/run` installs it with apt-get when missing). */
export const CHROMIUM_PATH = process.env.LUCKY_IM_TEST_CHROMIUM ?? "/usr/bin/chromium";

/** Flags for a quiet headless Chromium on a shared CI machine (no sandbox: CI runs as root). */
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Launches headless Chromium from {@link CHROMIUM_PATH}. */
export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import("playwright-core");
  return chromium.launch({ headless: true, executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}

/** Builds the browser bundle of `@lucky-im/client` (served at `/client.js`) when it is missing. */
export async function ensureBrowserClient(): Promise<void> {
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const packages = join(REPO_ROOT, "packages");
  if (!existsSync(join(packages, "core", "dist", "index.js"))) {
    await run(npm, ["run", "build", "-w", "@lucky-im/core"], { cwd: REPO_ROOT });
  }
  if (!existsSync(join(packages, "client", "dist", "browser", "lucky-im-client.js"))) {
    await run(npm, ["run", "build", "-w", "@lucky-im/client"], { cwd: REPO_ROOT });
  }
}

/**
 * Network switch of one browser context. `context.setOffline(true)` fails new
 * requests but leaves open WebSockets alone, so the context's WebSockets go
 * through a route: going offline also drops the open ones and refuses new
 * ones, as a lost network would.
 */
export class NetworkSwitch {
  private offline = false;
  private readonly open = new Set<{ page: WebSocketRoute; server: WebSocketRoute }>();

  private constructor(private readonly context: BrowserContext) {}

  /** Must run before the first page of `context` opens its WebSocket. */
  static async attach(context: BrowserContext): Promise<NetworkSwitch> {
    const network = new NetworkSwitch(context);
    await context.routeWebSocket(/\/ws$/, (page) => {
      if (network.offline) {
        void page.close({ code: 4000, reason: "offline" }).catch(() => {});
        return;
      }
      const pair = { page, server: page.connectToServer() };
      network.open.add(pair);
      // Forward each side's close to the other, with its code when it may be sent.
      page.onClose((code, reason) => {
        network.open.delete(pair);
        void pair.server.close(sendable(code, reason)).catch(() => {});
      });
      pair.server.onClose((code, reason) => {
        network.open.delete(pair);
        void page.close(sendable(code, reason)).catch(() => {});
      });
    });
    return network;
  }

  async setOffline(offline: boolean): Promise<void> {
    this.offline = offline;
    await this.context.setOffline(offline);
    if (!offline) return;
    const pairs = [...this.open];
    this.open.clear();
    for (const { page, server } of pairs) {
      await server.close().catch(() => {});
      await page.close({ code: 4000, reason: "offline" }).catch(() => {});
    }
  }
}

/** 1005/1006 (and other reserved codes) cannot be sent in a close frame. */
function sendable(code: number | undefined, reason: string | undefined) {
  return code === 1000 || code === 1001 || (code !== undefined && code >= 3000 && code <= 4999)
    ? { code, reason }
    : undefined;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Buffer): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** A valid `size`×`size` RGB PNG: a blue square with an orange diagonal. */
export function tinyPng(size = 16): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // RGB
  const rows: Buffer[] = [];
  for (let y = 0; y < size; y++) {
    const row = Buffer.alloc(1 + size * 3); // filter byte 0, then pixels
    for (let x = 0; x < size; x++) {
      const pixel = Math.abs(x - y) <= 1 ? [255, 140, 0] : [47, 111, 237];
      row.set(pixel, 1 + x * 3);
    }
    rows.push(row);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk("IHDR", header),
    pngChunk("IDAT", deflateSync(Buffer.concat(rows))),
    pngChunk("IEND", Buffer.alloc(0)),
  ]);
}

/** A silent PCM WAV of `seconds` (8 kHz mono): a voice message Chromium can play and seek. */
export { silentWav } from "../../../packages/files/test/wav.js";
