import { copyFileSync } from "node:fs";
import { libraryConfig } from "../../tsup.library.js";

export default libraryConfig(
  { index: "src/index.ts", "testing/index": "src/testing/index.ts" },
  {
    // import.meta.url in the CJS build too: the hash pool finds its worker file next to the bundle.
    shims: true,
    // The hash pool's worker is plain JavaScript, loaded by path: ship it next to the bundles.
    onSuccess: async () => copyFileSync("src/scrypt-worker.mjs", "dist/scrypt-worker.mjs"),
  },
);
