/**
 * The standalone Lucky IM chat server: `node dist/main.js`. Configured by
 * environment variables (see README.md); SIGTERM and SIGINT drain and exit 0.
 */
import { createChatServer, createLogger } from "./chat-server.js";
import { type ChatServerConfig, ConfigError, loadConfig } from "./config.js";

/** A drain that takes longer than this ends the process with code 1. */
const SHUTDOWN_TIMEOUT_MS = 30_000;

async function main(): Promise<void> {
  let config: ChatServerConfig;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    // Every problem at once, each naming its variable; no stack: it is the operator's input.
    createLogger("info").fatal({ problems: error.problems }, error.message);
    process.exitCode = 1;
    return;
  }
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
