import { type Report, UserIdSchema } from "@lucky-im/core";
import { type Static, Type } from "@sinclair/typebox";
import type { FastifyInstance } from "fastify";
import { httpError } from "../http-errors.js";
import type { RouteContext } from "../route-context.js";

const Reason = Type.String({ minLength: 1, maxLength: 500 });

const ReportBody = Type.Union([
  Type.Object(
    {
      messageId: Type.String({ minLength: 1, maxLength: 256 }),
      reason: Reason,
    },
    { additionalProperties: false },
  ),
  Type.Object({ userId: UserIdSchema, reason: Reason }, { additionalProperties: false }),
]);
type ReportBody = Static<typeof ReportBody>;

/**
 * `POST /reports`: a user reports a message of a conversation they are in (`messageId`) or
 * another user (`userId`), with a reason; limited per user (`im.admin.report`). Admins list
 * and resolve reports under `/admin/reports`.
 */
export function registerReportRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.post<{ Body: ReportBody }>(
    "/reports",
    { schema: { body: ReportBody } },
    async (request, reply) => {
      const reporterId = await ctx.authenticate(request);
      const body = request.body;
      let report: Report;
      if ("messageId" in body) {
        report = await ctx.im.admin.report(
          reporterId,
          { kind: "message", messageId: body.messageId },
          body.reason,
        );
      } else {
        if (!(await ctx.auth.getUser(body.userId))) throw httpError("not_found", "no such user");
        report = await ctx.im.admin.report(
          reporterId,
          { kind: "user", userId: body.userId },
          body.reason,
        );
      }
      return reply.status(201).send({ reportId: report.reportId, status: report.status });
    },
  );
}
