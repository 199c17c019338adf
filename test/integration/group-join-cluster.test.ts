/**
 * Group joins across a two-node cluster of real chat-server processes on
 * PostgreSQL, RabbitMQ and Redis: an approval on node A lets the requester
 * send to the group from node B at once, although node B had the group in
 * its membership cache from a refused send a moment before; an invite link
 * used on node B works once and is refused on node A once revoked there.
 */
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { uniqueName } from "@lucky-im/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, type Frame, registerUser, WsProbe } from "../../examples/chat-server/test/helpers.js";
import { ensureBuilt, ServerProcess } from "../../examples/chat-server/test/server-process.js";
import { serviceUrl } from "../services.js";
import { clusterNodeEnv, dropClusterState } from "./shared-services.js";

const postgresUrl = await serviceUrl("postgres");
const redisUrl = await serviceUrl("redis");
const amqpUrl = await serviceUrl("amqp");

const JWT_SECRET = "group join cluster test secret, 32+ bytes";

async function sendToGroup(ws: WsProbe, groupId: string, text: string): Promise<Frame> {
  const cid = randomUUID();
  ws.send({ type: "send", cid, to: { type: "group", id: groupId }, body: { type: "text", text } });
  return ws.next((f) => (f.type === "sent" || f.type === "error") && f.cid === cid);
}

describe.runIf(postgresUrl && redisUrl && amqpUrl)(
  "group joins on a two-node cluster (PostgreSQL, RabbitMQ, Redis)",
  () => {
    const name = uniqueName("gj_cluster");
    const nodeIds = [`${name}_a`, `${name}_b`];
    const services = { postgres: postgresUrl!, amqp: amqpUrl!, redis: redisUrl! };
    const servers: ServerProcess[] = [];
    const probes: WsProbe[] = [];
    let filesDir: string;

    beforeAll(async () => {
      await ensureBuilt();
      filesDir = await mkdtemp(join(tmpdir(), "lucky-im-gj-cluster-"));
      servers.push(
        ...(await Promise.all(
          nodeIds.map((nodeId) =>
            ServerProcess.start({
              ...clusterNodeEnv(services, name, nodeId),
              LUCKY_IM_JWT_SECRET: JWT_SECRET,
              LUCKY_IM_FILES_DIR: filesDir,
              LUCKY_IM_PASSWORD_HASH_LOG_N: "10",
            }),
          ),
        )),
      );
    }, 600_000);

    afterAll(async () => {
      for (const probe of probes) probe.close();
      for (const server of servers) server.kill();
      if (filesDir) await rm(filesDir, { recursive: true, force: true });
      await dropClusterState(services, name, nodeIds);
    }, 60_000);

    const connect = async (url: string, token: string) => {
      const probe = await WsProbe.connect(url, token);
      probes.push(probe);
      return probe;
    };

    it("an approval on node A lets the requester send from node B at once", async () => {
      const [a, b] = [servers[0]!.url, servers[1]!.url];
      const owner = await registerUser(a, "owner");
      const requester = await registerUser(b, "req");
      const created = await api(a, "POST", "/groups", {
        token: owner.accessToken,
        body: { name: "Across nodes", members: [] },
      });
      const groupId = created.body.groupId as string;
      await api(a, "PUT", `/groups/${groupId}/join-settings`, {
        token: owner.accessToken,
        body: { joinMode: "approval" },
      });
      const ownerWs = await connect(a, owner.accessToken);
      const requesterWs = await connect(b, requester.accessToken);

      // Node B loads the group (without the requester) into its cache, kept 10 s (the default).
      expect(await sendToGroup(requesterWs, groupId, "too early")).toMatchObject({
        type: "error",
        code: "forbidden",
      });

      const asked = await api(b, "POST", `/groups/${groupId}/requests`, {
        token: requester.accessToken,
        body: { message: "from node B" },
      });
      expect(asked.status).toBe(201);
      expect(
        await ownerWs.next((f) => f.type === "group" && f.event === "join_requested"),
      ).toMatchObject({ groupId, userIds: [requester.userId] });

      const approved = await api(a, "POST", `/join-requests/${asked.body.ticketId}/approve`, {
        token: owner.accessToken,
      });
      expect(approved.body).toEqual({ groupId, joined: true });
      // At once: no wait for the invalidation broadcast.
      expect(await sendToGroup(requesterWs, groupId, "hello from B")).toMatchObject({
        type: "sent",
      });
      const delivered = await ownerWs.next(
        (f) => f.type === "message" && f.from === requester.userId,
      );
      expect(delivered).toMatchObject({ body: { type: "text", text: "hello from B" } });
      expect(
        await requesterWs.next((f) => f.type === "group" && f.event === "member_added"),
      ).toMatchObject({ userIds: [requester.userId], by: owner.userId });
    });

    it("an invite link created on A works once on B and is refused on A once revoked", async () => {
      const [a, b] = [servers[0]!.url, servers[1]!.url];
      const [owner, first, second] = [
        await registerUser(a, "owner"),
        await registerUser(b, "first"),
        await registerUser(a, "second"),
      ];
      const created = await api(a, "POST", "/groups", {
        token: owner.accessToken,
        body: { name: "Linked", members: [] },
      });
      const groupId = created.body.groupId as string;
      const link = await api(a, "POST", `/groups/${groupId}/invite-links`, {
        token: owner.accessToken,
        body: { maxUses: 5 },
      });
      const code = link.body.code as string;
      const joined = await api(b, "POST", `/invite-links/${code}/join`, {
        token: first.accessToken,
      });
      expect(joined.body).toEqual({ groupId, joined: true });
      const firstWs = await connect(b, first.accessToken);
      expect(await sendToGroup(firstWs, groupId, "in by link")).toMatchObject({ type: "sent" });
      expect(
        (await api(b, "DELETE", `/invite-links/${code}`, { token: owner.accessToken })).status,
      ).toBe(204);
      const refused = await api(a, "POST", `/invite-links/${code}/join`, {
        token: second.accessToken,
      });
      expect(refused.status).toBe(403);
      expect(refused.body.error).toMatchObject({ code: "forbidden", reason: "revoked" });
    });
  },
);
