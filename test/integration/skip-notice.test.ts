import { describe, expect, it } from "vitest";
import { skipNotice } from "../skip-notice.js";

describe("skip notice", () => {
  it("names every missing service with its variable and an example value", () => {
    const line = skipNotice(["postgres", "amqp"]);
    expect(line).toContain("PostgreSQL, RabbitMQ");
    expect(line).toContain("LUCKY_IM_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test");
    expect(line).toContain("LUCKY_IM_TEST_AMQP_URL=amqp://guest:guest@127.0.0.1:5672");
    expect(line).not.toContain("REDIS");
    expect(line?.split("\n")).toHaveLength(1);
  });

  it("says nothing when every service is configured", () => {
    expect(skipNotice([])).toBeUndefined();
  });
});
