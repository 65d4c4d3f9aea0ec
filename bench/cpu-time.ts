// CPU time (user + system) of the relay under test, ms, for CPU per packet: time waiting for a
// core is not counted, so a loaded machine does not spoil it. Linux /proc/<pid>/stat and
// /proc/<pid>/task/<tid>/stat (proc(5)): utime and stime are fields 14 and 15, in clock ticks.
import { readFileSync } from 'node:fs';

/** USER_HZ: the clock tick of utime/stime, ms (100 Hz on Linux). */
const TICK_MS = 10;

/** utime + stime of a /proc stat file, ms; NaN where it cannot be read (no /proc, process gone). */
export function procStatCpuMs(path: string): number {
  try {
    const stat = readFileSync(path, 'utf8');
    // Fields counted after the parenthesised command name, which may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return NaN;
  }
}

/** This process's main thread (its tid is the pid), ms. */
export function mainThreadCpuMs(): number {
  return procStatCpuMs(`/proc/self/task/${process.pid}/stat`);
}

/** This whole process (every thread), ms. */
export function processCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}
