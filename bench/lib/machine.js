// Describes the machine a benchmark ran on.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import os from "node:os";

function cpuInfo() {
  let model = os.cpus()[0]?.model?.trim() ?? "unknown";
  let flags = [];
  try {
    const text = readFileSync("/proc/cpuinfo", "utf8");
    const m = text.match(/^model name\s*:\s*(.+)$/m);
    if (m) model = m[1].trim();
    const f = text.match(/^flags\s*:\s*(.+)$/m);
    if (f) flags = f[1].split(/\s+/);
  } catch {
    // not Linux: os.cpus() is all there is
  }
  const simd = ["sse4_2", "avx", "avx2", "fma", "avx512f", "avx512ifma"].filter((x) => flags.includes(x));
  return { model, simd };
}

export function gitCommit(cwd) {
  try {
    return execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd, stdio: ["ignore", "pipe", "ignore"] })
      .toString()
      .trim();
  } catch {
    return null;
  }
}

export function gitDirty(cwd, paths = []) {
  try {
    const out = execFileSync("git", ["status", "--porcelain", "--untracked-files=no", "--", ...paths], {
      cwd,
      stdio: ["ignore", "pipe", "ignore"],
    }).toString();
    return out.trim().length > 0;
  } catch {
    return null;
  }
}

export function machineInfo(cwd) {
  const cpu = cpuInfo();
  return {
    cpu: cpu.model,
    cpu_simd: cpu.simd,
    cores: os.availableParallelism ? os.availableParallelism() : os.cpus().length,
    memory_bytes: os.totalmem(),
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    date: new Date().toISOString(),
    commit: gitCommit(cwd),
    dirty: gitDirty(cwd),
  };
}

/** "node20", "node24", … from the running binary. */
export function runtimeLabel() {
  return `node${process.versions.node.split(".")[0]}`;
}
