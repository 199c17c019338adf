// The wire protocol lives in @lucky-im/protocol (shared with the client); this path stays so engine
// imports keep working, and core's index re-exports every frame type from here.
export * from "@lucky-im/protocol";
