// Consumer smoke test: compiled and run from the packed tarball by scripts/consumer-check.mjs in
// every module setup (ESM node16/nodenext, CJS node16, bundler). No top-level await: CJS has none.
import {
  backoffDelay,
  type ClientFrame,
  CloseCode,
  decodeClientFrame,
  ERROR_CODES,
  encodeFrame,
  errorFrame,
  ImError,
  isImError,
  PROTOCOL_NAME,
  SendFrameSchema,
  type ServerFrame,
} from "@lucky-im/protocol";

function main(): void {
  if (PROTOCOL_NAME !== "lucky-im.v1") throw new Error(`protocol name ${PROTOCOL_NAME}`);
  if (CloseCode.tryAgainLater !== 1013) throw new Error("no close code 1013");
  if (!ERROR_CODES.includes("rate_limited")) throw new Error("no rate_limited error code");
  if (SendFrameSchema.properties.type.const !== "send") throw new Error("send schema");

  const send: ClientFrame = {
    type: "send",
    cid: "c1",
    to: { type: "user", id: "bob" },
    body: { type: "text", text: "hi" },
  };
  const decoded = decodeClientFrame(JSON.stringify(send));
  if (!decoded.ok || decoded.frame.type !== "send") throw new Error("send frame refused");
  const bad = decodeClientFrame('{"type":"send","cid":"c2"}');
  if (bad.ok || bad.error.code !== "bad_request" || bad.cid !== "c2") {
    throw new Error("bad frame accepted");
  }

  const error = new ImError("forbidden", "not a member");
  if (!isImError(error)) throw new Error("isImError");
  const frame: ServerFrame = errorFrame(error, "c3");
  if (
    encodeFrame(frame) !== '{"type":"error","code":"forbidden","message":"not a member","cid":"c3"}'
  ) {
    throw new Error(`error frame ${encodeFrame(frame)}`);
  }
  const delay = backoffDelay(3, 100, 10_000, () => 1);
  if (delay !== 800) throw new Error(`backoff ${delay}`);
  console.log("@lucky-im/protocol ok");
}

main();
