import { hasErrorCode, isImError } from "@lucky-im/core";
import { describe, expect, it } from "vitest";
import type { CodeMessage } from "./contracts/code-sender.js";
import type { CodeStore } from "./contracts/code-store.js";
import { createLoggingCodeSender } from "./logging-code-sender.js";
import { createMemoryCodeStore } from "./memory/memory-code-store.js";
import {
  createCodeChecks,
  createVerificationCodes,
  type VerificationCodesOptions,
} from "./verification-codes.js";

function setup(options: VerificationCodesOptions = {}) {
  const sent: CodeMessage[] = [];
  const clock = { t: Date.UTC(2030, 0, 1) };
  const puts: Array<Parameters<CodeStore["put"]>[0]> = [];
  const memory = createMemoryCodeStore();
  const store: CodeStore = {
    ...memory,
    put: async (code) => {
      puts.push(code);
      return memory.put(code);
    },
  };
  // The public codes, with the check the account flows run before a code is consumed.
  const codes = createCodeChecks({
    store,
    sender: { send: async (m) => void sent.push(m) },
    now: () => clock.t,
    ...options,
  });
  const last = () => sent.at(-1)!.code;
  return { codes, sent, clock, puts, last };
}

async function code(promise: Promise<unknown>) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isImError(error), "expected a refusal").toBe(true);
  return (error as { code: string }).code;
}

const wrong = (c: string) => (c === "000000" ? "000001" : "000000");

describe("createVerificationCodes", () => {
  it("sends a 6-digit code, stores only its hash, and consumes it once", async () => {
    const { codes, sent, puts, last } = setup();
    const { expiresAt } = await codes.send("  Alice@Example.COM ", { ip: "10.0.0.1" });
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ recipient: "alice@example.com", purpose: "login", expiresAt });
    expect(last()).toMatch(/^\d{6}$/);
    expect(puts[0]!.codeHash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(puts[0])).not.toContain(last());
    await codes.verify("alice@example.com", last());
    expect(await code(codes.verify("alice@example.com", last()))).toBe("unauthorized");
  });

  it("lives 5 minutes by the injected clock", async () => {
    const { codes, clock, last } = setup();
    await codes.send("bob@example.com");
    clock.t += 5 * 60_000 - 1;
    await codes.verify("bob@example.com", last());
    await codes.send("bob@example.com");
    clock.t += 5 * 60_000;
    expect(await code(codes.verify("bob@example.com", last()))).toBe("unauthorized");
  });

  it("allows 3 attempts, then burns the code", async () => {
    const { codes, last } = setup();
    await codes.send("carol@example.com");
    await code(codes.verify("carol@example.com", wrong(last())));
    await code(codes.verify("carol@example.com", wrong(last())));
    await codes.verify("carol@example.com", last()); // the third attempt is still good

    await codes.send("carol@example.com");
    for (let i = 0; i < 3; i++) {
      expect(await code(codes.verify("carol@example.com", wrong(last())))).toBe("unauthorized");
    }
    expect(await code(codes.verify("carol@example.com", last()))).toBe("unauthorized");
  });

  it("keeps purposes apart and refuses malformed input as bad_request", async () => {
    const { codes, last } = setup();
    await codes.send("dan@example.com", { purpose: "register" });
    expect(await code(codes.verify("dan@example.com", last()))).toBe("unauthorized");
    await codes.verify("dan@example.com", last(), { purpose: "register" });
    expect(await code(codes.verify("dan@example.com", "12ab56"))).toBe("bad_request");
    expect(await code(codes.send(""))).toBe("bad_request");
    expect(await code(codes.send("x@y.z", { purpose: "bad purpose!" }))).toBe("bad_request");
  });

  it("rate-limits sends per recipient", async () => {
    const { codes } = setup({ sendLimitPerRecipient: { points: 2, durationMs: 60_000 } });
    await codes.send("eve@example.com");
    await codes.send("EVE@example.com");
    const error = await codes.send("eve@example.com").catch((e: unknown) => e);
    expect(hasErrorCode(error, "rate_limited")).toBe(true);
    expect((error as { details: { retryAfterMs: number } }).details.retryAfterMs).toBeGreaterThan(
      0,
    );
    await codes.send("frank@example.com");
  });

  it("rate-limits sends per recipient and purpose: one purpose cannot use up another", async () => {
    const { codes, sent } = setup({ sendLimitPerRecipient: { points: 2, durationMs: 60_000 } });
    await codes.send("gina@example.com", { purpose: "account_login" });
    await codes.send("gina@example.com", { purpose: "account_login" });
    expect(await code(codes.send("gina@example.com", { purpose: "account_login" }))).toBe(
      "rate_limited",
    );
    await codes.send("gina@example.com", { purpose: "password_reset" });
    expect(sent.map((m) => m.purpose)).toEqual([
      "account_login",
      "account_login",
      "password_reset",
    ]);
  });

  it("keeps a matched code when the caller's check refuses, and consumes it when it passes", async () => {
    const { codes, last } = setup();
    await codes.send("hal@example.com");
    const refused = new Error("refused by the caller");
    await expect(
      codes.verify("hal@example.com", last(), {}, async () => {
        throw refused;
      }),
    ).rejects.toBe(refused);
    let ran = false;
    await codes.verify("hal@example.com", last(), {}, async () => {
      ran = true;
    });
    expect(ran).toBe(true);
    expect(await code(codes.verify("hal@example.com", last()))).toBe("unauthorized");
  });

  it("rate-limits sends per IP", async () => {
    const { codes, sent } = setup({ sendLimitPerIp: { points: 3, durationMs: 60_000 } });
    for (let i = 0; i < 3; i++) await codes.send(`user${i}@example.com`, { ip: "10.0.0.9" });
    expect(await code(codes.send("user9@example.com", { ip: "10.0.0.9" }))).toBe("rate_limited");
    await codes.send("user9@example.com", { ip: "10.0.0.10" });
    expect(sent).toHaveLength(4);
  });

  it("reports a failing sender as unavailable", async () => {
    const codes = createVerificationCodes({
      sender: {
        send: async () => {
          throw new Error("SMS gateway down");
        },
      },
    });
    expect(await code(codes.send("+15550100"))).toBe("unavailable");
  });

  it("logs codes with the development sender", async () => {
    const lines: string[] = [];
    const codes = createVerificationCodes({
      sender: createLoggingCodeSender({ logger: { info: (m) => void lines.push(m) } }),
    });
    await codes.send("+15550101");
    expect(lines).toHaveLength(1);
    const sentCode = /: (\d{6}),/.exec(lines[0]!)?.[1];
    expect(sentCode).toBeDefined();
    await codes.verify("+15550101", sentCode!);
  });
});
