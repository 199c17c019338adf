import { startApp } from "./app.js";
import { loadConfig } from "./config.js";

const config = loadConfig();
const app = await startApp(config);
const where = [
  config.postgresUrl ? "PostgreSQL" : "memory",
  config.amqpUrl ? "RabbitMQ" : "in-process broker",
  config.redisUrl ? "Redis" : "in-process presence",
].join(", ");
console.log(`fastify-app on ${app.url} (WebSocket ${app.url.replace("http", "ws")}/ws; ${where})`);

let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  });
}
