import { hasErrorCode } from "@lucky-im/core";
import { describe, expect, it } from "vitest";
import { createPasswordPolicy } from "./password-policy.js";

async function refusal(promise: Promise<unknown>) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(hasErrorCode(error, "bad_request"), "expected bad_request").toBe(true);
  return (error as Error).message;
}

describe("createPasswordPolicy", () => {
  it("refuses the most common passwords, ignoring case", async () => {
    const policy = createPasswordPolicy();
    for (const password of ["password", "12345678", "Password1", "QWERTYUIOP", "iloveyou"]) {
      expect(await refusal(policy.check(password, "alice"))).toContain("common");
    }
    expect(await policy.check("correct horse battery", "alice")).toBe("correct horse battery");
  });

  it("refuses a password equal to or containing the username", async () => {
    const policy = createPasswordPolicy();
    expect(await refusal(policy.check("aliceliddell", "aliceliddell"))).toContain("username");
    expect(await refusal(policy.check("ALICE-in-2030", "alice"))).toContain("username");
    // Too short a username to be a meaningful part of a password: only equality counts.
    expect(await policy.check("bolt-of-lightning", "bo")).toBe("bolt-of-lightning");
  });

  it("without a username applies only the rules that need no account", async () => {
    const policy = createPasswordPolicy();
    expect(await policy.check("alice-in-2030")).toBe("alice-in-2030");
    expect(await refusal(policy.check("password"))).toContain("common");
    expect(await refusal(policy.check("short"))).toContain("8 to 1024");
  });

  it("keeps the length limits as options, and takes another list or none", async () => {
    expect(await refusal(createPasswordPolicy().check("short1!", "alice"))).toContain("8 to 1024");
    expect(
      await refusal(createPasswordPolicy({ minLength: 12 }).check("elevenchars", "x")),
    ).toContain("12 to");
    expect(
      await refusal(createPasswordPolicy({ maxLength: 10 }).check("x".repeat(11), "x")),
    ).toContain("to 10");
    expect(await refusal(createPasswordPolicy().check(42, "alice"))).toContain("password must");
    const custom = createPasswordPolicy({ commonPasswords: ["Our-Company-2030"] });
    expect(await refusal(custom.check("our-company-2030", "alice"))).toContain("common");
    expect(await custom.check("password", "alice")).toBe("password");
    expect(await createPasswordPolicy({ commonPasswords: false }).check("password", "al")).toBe(
      "password",
    );
  });
});
