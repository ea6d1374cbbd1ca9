// Child processes for the benchmark and the drills: start one, wait for the line that says it is
// ready, read its peak memory, stop or kill it.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** A free loopback port. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts `node ...args` and resolves once its output contains `ready` (a string or a RegExp).
 * Returns the child, its output so far, and `stop(signal)` which resolves when it has exited.
 */
export async function startNode(args, { ready, env = {}, timeoutMs = 30_000, name = args[0] } = {}) {
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let output = '';
  const keep = (chunk) => {
    // Keep the start of the output and the latest part; a chatty child must not grow this forever.
    output = output.length > 64_000 ? `${output.slice(0, 16_000)}…${output.slice(-16_000)}` : output;
    output += chunk.toString();
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start in time:\n${output}`)), timeoutMs);
    const check = () => {
      if (typeof ready === 'string' ? output.includes(ready) : ready.test(output)) {
        clearTimeout(timer);
        child.stdout.off('data', check);
        resolve();
      }
    };
    child.stdout.on('data', check);
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${code ?? signal}) before it was ready:\n${output}`));
    });
  });
  return {
    child,
    pid: child.pid,
    output: () => output,
    exited,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };
}

/** Peak resident memory of a process in bytes (Linux `VmHWM`), or undefined where unknown. */
export function peakRss(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /VmHWM:\s+(\d+) kB/.exec(status);
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Current resident memory of a process in bytes (Linux `VmRSS`), or undefined where unknown. */
export function currentRss(pid) {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * CPU time a process has used so far (user plus system, all threads) in ms, from Linux
 * `/proc/<pid>/stat`, or undefined where unknown. Unlike throughput, CPU per call hardly moves
 * when other processes compete for the cores, so small changes show in it.
 */
export function cpuTimeMs(pid) {
  return statCpuTimeMs(`/proc/${pid}/stat`);
}

function statCpuTimeMs(path) {
  try {
    const stat = readFileSync(path, 'utf8');
    // The command name may hold spaces; the fields after it are fixed.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return (ticks * 1000) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/**
 * CPU time in ms of each thread of a process, by thread id, from /proc (Linux); an empty map
 * elsewhere. The main thread's id is the process id.
 */
export function threadCpuTimesMs(pid) {
  const times = new Map();
  let threads = [];
  try {
    threads = readdirSync(`/proc/${pid}/task`);
  } catch {
    return times;
  }
  for (const thread of threads) {
    const time = statCpuTimeMs(`/proc/${pid}/task/${thread}/stat`);
    if (time !== undefined) times.set(Number(thread), time);
  }
  return times;
}

// USER_HZ, which Linux fixes at 100 on every architecture Node runs on.
const CLOCK_TICKS_PER_SECOND = 100;
