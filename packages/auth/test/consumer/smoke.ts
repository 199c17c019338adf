// Consumer smoke test: compiled and run from the packed tarball by scripts/consumer-check.mjs in
// every module setup (ESM node16/nodenext, CJS node16, bundler). No top-level await: CJS has none.
import {
  createAuthService,
  createEncryptionKeyRing,
  createJwtAuthenticator,
  createMemoryCredentialStore,
  createMemoryRefreshTokenStore,
  type JwtVerificationKey,
} from "@lucky-im/auth";

async function main(): Promise<void> {
  const secret = "consumer-check-secret-at-least-32-bytes!";
  const auth = createAuthService({
    credentials: createMemoryCredentialStore(),
    refreshTokens: createMemoryRefreshTokenStore(),
    signingKey: { secret },
    issuer: "consumer",
    audience: "consumer",
    encryptionKeys: createEncryptionKeyRing(),
  });
  const { userId } = await auth.register("alice", "correct horse battery");
  const tokens = await auth.login({ username: "alice", password: "correct horse battery" });
  const principal = await auth.authenticator.authenticate(tokens.accessToken);
  if (principal.userId !== userId) throw new Error("the token names another user");

  const key: JwtVerificationKey = { secret };
  const verifier = createJwtAuthenticator({ key, issuer: "consumer", audience: "consumer" });
  if ((await verifier.authenticate(tokens.accessToken)).userId !== userId) {
    throw new Error("a second authenticator disagrees");
  }
  auth.close();
  console.log("@lucky-im/auth ok");
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
