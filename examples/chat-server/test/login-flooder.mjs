// A login flood in a process of its own (so that the attacking client does not
// share the event loop of the server it measures). argv: url, attackers, ms.
// Prints one JSON line: statuses seen and up to 50 refusals with their headers.
const [url, attackersArg, durationArg] = process.argv.slice(2);
const attackers = Number(attackersArg);
const until = Date.now() + Number(durationArg);
const statuses = {};
const refusals = [];
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function attacker(index) {
  // Half from one address, half from addresses of their own (X-Forwarded-For).
  const ip = index % 2 === 0 ? "203.0.113.7" : `198.51.100.${index}`;
  for (let n = 0; Date.now() < until; n++) {
    const response = await fetch(`${url}/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-forwarded-for": ip },
      body: JSON.stringify({ username: `nobody_${index}_${n}`, password: "guess-guess" }),
    });
    const body = await response.json();
    statuses[response.status] = (statuses[response.status] ?? 0) + 1;
    if (response.status === 429 || response.status === 503) {
      if (refusals.length < 50) {
        refusals.push({
          status: response.status,
          retryAfter: response.headers.get("retry-after"),
          body,
        });
      }
      // Not Retry-After (an attacker ignores it): a short pause so that the
      // flood is many times the pool, not a plain request-rate benchmark.
      await sleep(50);
    }
  }
}

await Promise.all(Array.from({ length: attackers }, (_, index) => attacker(index)));
process.stdout.write(`${JSON.stringify({ statuses, refusals })}\n`);
