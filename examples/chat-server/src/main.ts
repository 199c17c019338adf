/**
 * The standalone Lucky IM chat server: `node dist/main.js`. Configured by
 * environment variables (see README.md); SIGTERM and SIGINT drain and exit 0.
 */
import { createChatServer, createLogger } from "./chat-server.js";
import { loadConfig } from "./config.js";

/** A drain that takes longer than this ends the process with code 1. */
const SHUTDOWN_TIMEOUT_MS = 30_000;

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const log = createLogger(config.logLevel);
  process.on("unhandledRejection", (reason) => log.error({ err: reason }, "unhandled rejection"));

  let server: Awaited<ReturnType<typeof createChatServer>>;
  try {
    server = await createChatServer(config, { logger: log });
  } catch (error) {
    log.fatal({ err: error }, "the server could not start");
    process.exitCode = 1;
    return;
  }

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn({ signal }, "second signal: exiting now");
      process.exit(1);
    }
    stopping = true;
    log.info({ signal }, "shutting down");
    const timer = setTimeout(() => {
      log.error("drain timed out");
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS);
    timer.unref();
    server.close().then(
      () => {
        log.flush();
        process.exit(0);
      },
      (error: unknown) => {
        log.error({ err: error }, "shutdown failed");
        log.flush();
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

void main();
