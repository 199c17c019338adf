// typedoc plugin: `validation.notDocumented` is on and typedoc's warnings are errors, except for the
// folders listed in PENDING, whose TSDoc is being written on other branches right now. Their
// undocumented members are counted and printed as one line per folder instead of failing the build.
//
// When those branches are merged, empty PENDING (or drop this plugin from typedoc.json). To see every
// warning today, run `LUCKY_IM_DOCS_STRICT=1 npm run docs:check`.

/** Source folders (as typedoc names them: package name + path) still allowed to lack TSDoc. */
const PENDING = [
  // The TypeBox-generated fields of the frame schemas: documented in docs/protocol.md, not yet in TSDoc.
  "@lucky-im/protocol/src/schemas.ts",
];

const UNDOCUMENTED = /, defined in (\S+), does not have any documentation$/;

/** @param {import("typedoc").Application} app */
export function load(app) {
  if (process.env.LUCKY_IM_DOCS_STRICT === "1" || PENDING.length === 0) return;
  const counts = new Map();
  const logger = app.logger;
  const validationWarning = logger.validationWarning.bind(logger);
  logger.validationWarning = (text, ...rest) => {
    const file = UNDOCUMENTED.exec(String(text))?.[1];
    const folder = file && PENDING.find((prefix) => file.startsWith(prefix));
    if (!folder) return validationWarning(text, ...rest);
    counts.set(folder, (counts.get(folder) ?? 0) + 1);
  };
  process.on("exit", () => {
    if (counts.size === 0) return;
    const total = [...counts.values()].reduce((a, b) => a + b, 0);
    const perFolder = [...counts].map(([folder, n]) => `${folder} ${n}`).join(", ");
    console.log(
      `[docs] ${total} undocumented members in folders pending TSDoc (not errors yet): ${perFolder}`,
    );
  });
}
