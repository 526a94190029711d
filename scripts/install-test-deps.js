#!/usr/bin/env node
// Installs what the tests need beyond npm packages (run by `npm test` before the suite): Debian's
// Chromium for test/browser.test.js. Nothing to do when /usr/bin/chromium (or BLINDML_CHROMIUM)
// exists. Otherwise, as root on Debian, `apt-get install chromium`; anything else gets the
// command to run, and the browser test will say what is missing.
import { existsSync } from "node:fs";
import { spawnSync } from "node:child_process";

const chromium = process.env.BLINDML_CHROMIUM ?? "/usr/bin/chromium";
const say = (line) => process.stderr.write(`install-test-deps: ${line}\n`);

if (existsSync(chromium)) process.exit(0);
if (process.getuid?.() !== 0 || !existsSync("/usr/bin/apt-get")) {
  say(`${chromium} is missing; install Debian's chromium (sudo apt-get install chromium) or set BLINDML_CHROMIUM.`);
  process.exit(0);
}
say("installing Debian's chromium for the browser test (apt-get)…");
const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
for (const args of [["update", "-qq"], ["install", "-y", "-qq", "--no-install-recommends", "chromium"]]) {
  const run = spawnSync("apt-get", args, { stdio: ["ignore", "ignore", "inherit"], env });
  if (run.status !== 0) {
    say(`apt-get ${args.join(" ")} failed (exit ${run.status}); the browser test will fail with the reason.`);
    process.exit(0);
  }
}
say(existsSync(chromium) ? `installed ${chromium}` : `apt-get finished but ${chromium} is still missing`);
