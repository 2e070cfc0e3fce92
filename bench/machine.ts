/** What a benchmark ran on: recorded with every result, since figures only mean something per machine. */
import { readFileSync } from 'node:fs';
import { arch, cpus, loadavg, release, totalmem, type } from 'node:os';

export interface MachineInfo {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  /** e.g. "Debian GNU/Linux 12 (bookworm)"; the kernel's name when there is no os-release. */
  readonly os: string;
  /** e.g. "Linux 6.1.0 x64". */
  readonly kernel: string;
  /** 1, 5 and 15 minute load averages when the bench started: other work competing for the cores. */
  readonly loadAverage: readonly number[];
}

export function machineInfo(): MachineInfo {
  const processors = cpus();
  return {
    cpu: processors[0]?.model.trim() ?? 'unknown',
    cores: processors.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: distribution() ?? type(),
    kernel: `${type()} ${release()} ${arch()}`,
    loadAverage: loadavg().map((load) => Math.round(load * 100) / 100),
  };
}

/** One line for a report: "Intel(R) Xeon(R), 2 cores, 23.4 GiB, Debian 12, Linux 6.1 x64, load 0.5". */
export function machineLine(machine: MachineInfo): string {
  const load = machine.loadAverage[0] === undefined ? '' : `, load ${machine.loadAverage[0]}`;
  return `${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.os}, ${machine.kernel}${load}`;
}

function distribution(): string | undefined {
  try {
    const text = readFileSync('/etc/os-release', 'utf8');
    return /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(text)?.[1];
  } catch {
    return undefined;
  }
}
