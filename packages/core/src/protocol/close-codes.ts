// The wire protocol lives in @lucky-im/protocol (shared with the client); this path stays so engine imports keep working.
export { CloseCode, type CloseCodeValue } from "@lucky-im/protocol";
