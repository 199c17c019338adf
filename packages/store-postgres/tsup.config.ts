import { libraryConfig } from "../../tsup.library.js";

// cli: the migrations CLI (`bin` in package.json).
export default libraryConfig(["src/index.ts", "src/cli.ts"]);
