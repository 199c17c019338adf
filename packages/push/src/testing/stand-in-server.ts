import { createServer, type IncomingMessage, type ServerResponse } from "node:http";

/** @internal A local HTTP server on 127.0.0.1 with a random port. */
export interface StandInServer {
  /** `http://127.0.0.1:<port>`. */
  origin: string;
  /** Stops listening and closes idle connections. */
  close(): Promise<void>;
}

/** @internal A request with its whole body read. */
export interface StandInRequest {
  method: string;
  path: string;
  headers: IncomingMessage["headers"];
  body: Buffer;
}

/** @internal What a handler answers. */
export interface StandInAnswer {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

/** @internal Starts a server that hands each request, body read, to `handle`. */
export async function startStandInServer(
  handle: (request: StandInRequest) => Promise<StandInAnswer>,
): Promise<StandInServer> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const request = {
        method: req.method ?? "",
        path: req.url ?? "/",
        headers: req.headers,
        body: Buffer.concat(chunks),
      };
      handle(request)
        .catch((error: unknown): StandInAnswer => ({ status: 500, body: { error: String(error) } }))
        .then((answer) => {
          const json = answer.body === undefined ? "" : JSON.stringify(answer.body);
          res.writeHead(answer.status, {
            ...(json ? { "content-type": "application/json" } : {}),
            ...answer.headers,
          });
          res.end(json);
        });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const { port } = server.address() as { port: number };
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
