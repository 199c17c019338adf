import { libraryConfig } from "../../tsup.library.js";

// Neutral: the client loads it in browsers as well as in Node.js. Every module is an entry (the
// package still exports only ".") so that the ESM build keeps one file or chunk per module: a bundle
// that uses only the constants, codes and types drops the schemas, the decoder and with them TypeBox
// (`sideEffects: false`). One bundled index.js would drag TypeBox into every browser bundle.
export default libraryConfig(["src/*.ts"], { platform: "neutral" });
