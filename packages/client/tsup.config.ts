import { libraryConfig } from "../../tsup.library.js";

// Neutral: the client runs in browsers as well as in Node.js.
export default libraryConfig(["src/index.ts"], { platform: "neutral" });
