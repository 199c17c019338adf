import type { TokenPair } from "@lucky-im/auth";
import { type Static, Type } from "@sinclair/typebox";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { renderSVG } from "uqr";
import type { AuthRouteContext } from "../route-context.js";

/**
 * The account flows' routes: the account's verified recipient, password reset and login
 * by one-time code, and QR-code login (docs/protocol.md, "Account recovery and QR login").
 */

const Recipient = Type.String({ minLength: 1, maxLength: 320 });
const Code = Type.String({ minLength: 1, maxLength: 16 });
const Password = Type.String({ minLength: 1, maxLength: 1024 });
const DeviceClass = Type.String({ minLength: 1, maxLength: 32 });

const RecipientBody = Type.Object({ recipient: Recipient }, { additionalProperties: false });
type RecipientBody = Static<typeof RecipientBody>;

const RecipientCodeBody = Type.Object(
  { recipient: Recipient, code: Code, deviceClass: Type.Optional(DeviceClass) },
  { additionalProperties: false },
);
type RecipientCodeBody = Static<typeof RecipientCodeBody>;

const ResetBody = Type.Object(
  { recipient: Recipient, code: Code, newPassword: Password },
  { additionalProperties: false },
);
type ResetBody = Static<typeof ResetBody>;

const ChallengeBody = Type.Object(
  {
    description: Type.Optional(Type.String({ maxLength: 200 })),
    deviceClass: Type.Optional(DeviceClass),
  },
  { additionalProperties: false },
);
type ChallengeBody = Static<typeof ChallengeBody>;

const ChallengeParams = Type.Object({
  challengeId: Type.String({ minLength: 1, maxLength: 64 }),
});
type ChallengeParams = Static<typeof ChallengeParams>;

const PollBody = Type.Object(
  {
    secret: Type.String({ minLength: 1, maxLength: 128 }),
    waitMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 60_000 })),
  },
  { additionalProperties: false },
);
type PollBody = Static<typeof PollBody>;

/** What a client gets from a login (the same shape as `POST /auth/login`). */
function tokensBody(tokens: TokenPair) {
  return {
    userId: tokens.userId,
    accessToken: tokens.accessToken,
    refreshToken: tokens.refreshToken,
    expiresIn: tokens.expiresIn,
  };
}

/** The device as its browser names itself, when the client did not describe it. */
function describeDevice(request: FastifyRequest, given: string | undefined): string {
  if (given !== undefined) return given;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: a header shown to another user
  const agent = (request.headers["user-agent"] ?? "").replace(/[\u0000-\u001f\u007f]/g, "");
  return agent.slice(0, 200);
}

/** The text the new device shows as a QR code: the approving device reads the id from it. */
export function qrText(challengeId: string): string {
  return `lucky-im:login:${challengeId}`;
}

/** `/auth/recipient*`, `/auth/password-reset*`, `/auth/code-login*` and `/auth/qr*`. */
export function registerAccountRoutes(app: FastifyInstance, ctx: AuthRouteContext): void {
  const { auth } = ctx;

  // --- The account's recipient (e-mail address or phone number), verified by a code. ---

  app.get("/auth/recipient", async (request) => {
    const userId = await ctx.authenticate(request);
    return { recipient: (await auth.getRecipient(userId)) ?? null };
  });

  app.post<{ Body: RecipientBody }>(
    "/auth/recipient",
    { schema: { body: RecipientBody } },
    async (request, reply) => {
      const userId = await ctx.authenticate(request);
      const sent = await auth.requestRecipientCode(userId, request.body.recipient, {
        ip: request.ip,
      });
      return reply.status(202).send(sent);
    },
  );

  app.post<{ Body: RecipientCodeBody }>(
    "/auth/recipient/confirm",
    { schema: { body: RecipientCodeBody } },
    async (request) => {
      const userId = await ctx.authenticate(request);
      return auth.confirmRecipient(userId, request.body.recipient, request.body.code);
    },
  );

  app.delete("/auth/recipient", async (request, reply) => {
    const userId = await ctx.authenticate(request);
    await auth.removeRecipient(userId);
    return reply.status(204).send();
  });

  // --- Password reset and login by code: the requests answer alike for unknown recipients. ---

  app.post<{ Body: RecipientBody }>(
    "/auth/password-reset",
    { schema: { body: RecipientBody } },
    async (request, reply) => {
      const sent = await auth.requestPasswordReset(request.body.recipient, { ip: request.ip });
      return reply.status(202).send(sent);
    },
  );

  app.post<{ Body: ResetBody }>(
    "/auth/password-reset/confirm",
    { schema: { body: ResetBody } },
    async (request) => {
      const { recipient, code, newPassword } = request.body;
      const tokens = await auth.resetPassword(recipient, code, newPassword, { ip: request.ip });
      return tokensBody(tokens);
    },
  );

  app.post<{ Body: RecipientBody }>(
    "/auth/code-login",
    { schema: { body: RecipientBody } },
    async (request, reply) => {
      const sent = await auth.requestLoginCode(request.body.recipient, { ip: request.ip });
      return reply.status(202).send(sent);
    },
  );

  app.post<{ Body: RecipientCodeBody }>(
    "/auth/code-login/confirm",
    { schema: { body: RecipientCodeBody } },
    async (request) => {
      const { recipient, code, deviceClass } = request.body;
      const tokens = await auth.loginWithCode(recipient, code, {
        ip: request.ip,
        ...(deviceClass === undefined ? {} : { deviceClass }),
      });
      return tokensBody(tokens);
    },
  );

  // --- QR login: the new device makes a challenge, a signed-in device approves it. ---

  app.post<{ Body: ChallengeBody }>(
    "/auth/qr",
    {
      schema: { body: ChallengeBody },
      // The body is optional: no body is an empty one.
      preValidation: async (request) => {
        request.body ??= {};
      },
    },
    async (request, reply) => {
      const body = request.body;
      const ticket = await auth.createLoginChallenge({
        description: describeDevice(request, body.description),
        ip: request.ip,
        ...(body.deviceClass === undefined ? {} : { deviceClass: body.deviceClass }),
      });
      const qr = qrText(ticket.challengeId);
      return reply.status(201).send({ ...ticket, qr, qrSvg: renderSVG(qr) });
    },
  );

  app.get<{ Params: ChallengeParams }>(
    "/auth/qr/:challengeId",
    { schema: { params: ChallengeParams } },
    async (request) => {
      const userId = await ctx.authenticate(request);
      return auth.getLoginChallenge(userId, request.params.challengeId);
    },
  );

  app.post<{ Params: ChallengeParams }>(
    "/auth/qr/:challengeId/approve",
    { schema: { params: ChallengeParams } },
    async (request) => {
      const userId = await ctx.authenticate(request);
      return auth.approveLoginChallenge(userId, request.params.challengeId);
    },
  );

  app.post<{ Params: ChallengeParams }>(
    "/auth/qr/:challengeId/decline",
    { schema: { params: ChallengeParams } },
    async (request) => {
      const userId = await ctx.authenticate(request);
      return auth.declineLoginChallenge(userId, request.params.challengeId);
    },
  );

  app.post<{ Params: ChallengeParams; Body: PollBody }>(
    "/auth/qr/:challengeId/poll",
    { schema: { params: ChallengeParams, body: PollBody } },
    async (request, reply) => {
      // A client that goes away ends its wait.
      const gone = new AbortController();
      const abort = () => gone.abort();
      reply.raw.once("close", abort);
      try {
        const result = await auth.pollLoginChallenge(
          request.params.challengeId,
          request.body.secret,
          { waitMs: request.body.waitMs ?? 0, signal: gone.signal, ip: request.ip },
        );
        return result.status === "approved"
          ? { status: "approved", ...tokensBody(result.tokens) }
          : result;
      } finally {
        reply.raw.off("close", abort);
      }
    },
  );
}
