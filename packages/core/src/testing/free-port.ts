import { createServer } from "node:net";

/**
 * A TCP port on `127.0.0.1` that nothing listened on a moment ago (the OS
 * picked it, and it was released): for a server a test starts, or for a
 * service URL where nothing answers.
 */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.unref();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
