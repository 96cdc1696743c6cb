// wsl.exe command lines (Windows Subsystem for Linux 2), per its documented CLI. The guest root
// is imported once as a WSL distribution from the image's root tarball; each start runs the
// agent in it with its stdio as the control channel. WSL2 owns the kernel, networking (it
// forwards guest loopback ports to Windows' loopback) and memory/CPU limits (.wslconfig).
import { AGENT_SCRIPT_PATH, GUEST_NODE_PATH } from '../../guest/protocol';
import type { CommandLine } from '../qemu/qemu-command';
import type { VmSettings } from '../vm-driver';

export const WSL_BINARY = 'wsl.exe';

export function wslListCommand(): CommandLine {
  return { binary: WSL_BINARY, args: ['--list', '--quiet'] };
}

export function wslImportCommand(
  distribution: string,
  installDir: string,
  rootTarball: string,
): CommandLine {
  return {
    binary: WSL_BINARY,
    args: ['--import', distribution, installDir, rootTarball, '--version', '2'],
  };
}

/** The agent as root, its stdio piped to the launcher; `extraArgs` carries berthd's flags. */
export function wslAgentCommand(distribution: string, extraArgs: string[]): CommandLine {
  return {
    binary: WSL_BINARY,
    args: [
      '--distribution',
      distribution,
      '--user',
      'root',
      '--exec',
      GUEST_NODE_PATH,
      AGENT_SCRIPT_PATH,
      '--channel=stdio',
      '--no-system-setup',
      ...extraArgs,
    ],
  };
}

export function wslTerminateCommand(distribution: string): CommandLine {
  return { binary: WSL_BINARY, args: ['--terminate', distribution] };
}

/** Grows the distribution's virtual disk (WSL 2.5+). */
export function wslResizeCommand(distribution: string, sizeGiB: number): CommandLine {
  return { binary: WSL_BINARY, args: ['--manage', distribution, '--resize', `${sizeGiB}GB`] };
}

/** `wsl --list` writes UTF-16LE; names one per line, possibly with a BOM and CRLF. */
export function parseWslList(output: Buffer): string[] {
  return output
    .toString('utf16le')
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .map((line) => line.replace(/\0/g, '').trim())
    .filter((line) => line !== '');
}

/**
 * Sets processors and memory in the [wsl2] section of a .wslconfig, keeping everything else the
 * user wrote. These limits are global to WSL2, so they apply at its next start.
 */
export function applyWslConfig(existing: string, settings: VmSettings): string {
  const wanted: Record<string, string> = {
    processors: String(settings.cpus),
    memory: `${settings.memoryMiB}MB`,
  };
  const lines =
    existing === '' ? [] : existing.replace(/\r\n/g, '\n').replace(/\n$/, '').split('\n');
  let section = '';
  let wsl2End = -1;
  const seen = new Set<string>();
  lines.forEach((line, index) => {
    const header = /^\s*\[([^\]]+)\]\s*$/.exec(line);
    if (header) {
      section = (header[1] ?? '').trim().toLowerCase();
      return;
    }
    if (section !== 'wsl2') return;
    if (line.trim() !== '') wsl2End = index;
    const key = /^\s*([A-Za-z]+)\s*=/.exec(line)?.[1]?.toLowerCase();
    if (key && key in wanted) {
      lines[index] = `${key}=${wanted[key]}`;
      seen.add(key);
    }
  });
  const missing = Object.keys(wanted)
    .filter((key) => !seen.has(key))
    .map((key) => `${key}=${wanted[key]}`);
  if (missing.length > 0) {
    const headerIndex = lines.findIndex((line) => /^\s*\[wsl2\]\s*$/i.test(line));
    if (headerIndex < 0) lines.push(...(lines.length > 0 ? [''] : []), '[wsl2]', ...missing);
    else lines.splice(Math.max(wsl2End, headerIndex) + 1, 0, ...missing);
  }
  return lines.join('\n') + '\n';
}
