// Runs a host tool (qemu-img, wsl.exe) and rejects with its own error output.
import { execFile } from 'node:child_process';
import { VmLaunchError } from './vm-driver';

export function runHostTool(
  command: string,
  args: string[],
  encoding: BufferEncoding = 'utf8',
): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { encoding, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) {
        reject(
          new VmLaunchError(
            `${command} ${args.join(' ')}: ${String(stderr).trim() || error.message}`,
          ),
        );
        return;
      }
      resolve(String(stdout));
    });
  });
}
