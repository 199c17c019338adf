// The wire protocol lives in @lucky-im/protocol (shared with the client); this path stays so engine imports keep working.
export { exceedsBytes, isIllFormed, type JsonLimits, jsonDepth } from "@lucky-im/protocol";
