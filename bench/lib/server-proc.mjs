// One server under test for the scenarios that drive it themselves (persist, recovery-*): started
// from a target of bench/run.mjs (cmd, cwd, env, log, port), read through /proc, stopped by PID.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** utime + stime of a process in ms, or null when it is gone. */
export function cpuMs(pid) {
  try {
    const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
  } catch {
    return null;
  }
}

/** Resident set size of a process in KB, or null when it is gone. */
export function rssKb(pid) {
  try {
    const m = /VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

export async function waitPort(port, timeoutMs = 30000) {
  const t0 = Date.now();
  for (;;) {
    const ok = await new Promise((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() - t0 > timeoutMs) throw new Error(`port ${port} not open`);
    await sleep(100);
  }
}

/**
 * Starts the target (extra node flags go before its script) and waits until it listens, then one
 * more second as the harness does. Returns { pid, stop() }.
 */
export async function startServer(target, nodeFlags = []) {
  const out = fs.openSync(target.log, 'a');
  const [node, ...args] = target.cmd;
  const child = spawn(node, [...nodeFlags, ...args], {
    cwd: target.cwd,
    env: { ...process.env, ...target.env },
    stdio: ['ignore', out, out],
  });
  const exited = new Promise((r) => child.once('exit', r));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 8000);
      await exited;
      clearTimeout(t);
    }
    fs.closeSync(out);
  };
  try {
    await Promise.race([
      waitPort(target.port),
      exited.then(() => Promise.reject(new Error(`${target.name} exited at start (${target.log})`))),
    ]);
    await sleep(1000);
  } catch (e) {
    await stop();
    throw e;
  }
  return { pid: child.pid, stop };
}

/** The pids of a process's children (e.g. `pushi serve --workers N`'s workers), from /proc/<pid>/stat. */
export function childrenOf(pid) {
  const kids = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const f = fs.readFileSync(`/proc/${d}/stat`, 'utf8').split(') ')[1].split(' ');
      if (Number(f[1]) === pid) kids.push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return kids;
}

/** RSS (KB) and CPU (ms) of a process and its children, summed, with the per-process RSS. */
export function treeUsage(pid) {
  const pids = [pid, ...childrenOf(pid)];
  const rss = pids.map(rssKb);
  return {
    pids,
    rssKb: rss.reduce((s, x) => s + (x ?? 0), 0),
    rssKbEach: rss,
    cpuMs: pids.reduce((s, p) => s + (cpuMs(p) ?? 0), 0),
  };
}
