// Parses the Run dialog's text fields into a RunSpec, naming the first bad entry.
import type { RunSpec } from '../../../shared/types';

export interface RunForm {
  image: string;
  name: string;
  ports: string;
  env: string;
  volumes: string;
  network: string;
  restartPolicy: NonNullable<RunSpec['restartPolicy']>;
  command: string;
}

export const emptyRunForm: RunForm = {
  image: '',
  name: '',
  ports: '',
  env: '',
  volumes: '',
  network: '',
  restartPolicy: 'no',
  command: '',
};

/** Splits a command line on spaces, honouring single and double quotes. */
export function splitCommand(text: string): string[] {
  const words: string[] = [];
  const pattern = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;
  for (const match of text.matchAll(pattern))
    words.push(match[1]?.replace(/\\(.)/g, '$1') ?? match[2] ?? match[3] ?? '');
  return words;
}

function entries(text: string): string[] {
  return text
    .split(/[\n,]/)
    .map((entry) => entry.trim())
    .filter(Boolean);
}

export function toRunSpec(form: RunForm): RunSpec {
  if (!form.image.trim()) throw new Error('Image is required');
  const spec: RunSpec = { image: form.image.trim(), restartPolicy: form.restartPolicy };
  if (form.name.trim()) spec.name = form.name.trim();
  const ports = entries(form.ports).map((entry) => {
    const match = /^(?:(\d{1,3}(?:\.\d{1,3}){3}):)?(?:(\d{1,5}):)?(\d{1,5})(?:\/(tcp|udp))?$/.exec(
      entry,
    );
    if (!match || (match[1] && !match[2])) {
      throw new Error(`Port "${entry}" should look like 8080:80, 127.0.0.1:8080:80 or 80/udp`);
    }
    return {
      containerPort: Number(match[3]),
      ...(match[2] ? { hostPort: Number(match[2]) } : {}),
      ...(match[1] ? { hostIp: match[1] } : {}),
      protocol: (match[4] ?? 'tcp') as 'tcp' | 'udp',
    };
  });
  if (ports.length) spec.ports = ports;
  const env = form.env
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  for (const line of env)
    if (!/^[^=\s]+=/.test(line))
      throw new Error(`Environment entry "${line}" should be NAME=value`);
  if (env.length) spec.env = env;
  const volumes = entries(form.volumes).map((entry) => {
    const [source, target, mode] = entry.split(':');
    if (!source || !target?.startsWith('/'))
      throw new Error(`Volume "${entry}" should be name-or-/host/path:/container/path[:ro]`);
    return { source, target, ...(mode === 'ro' ? { readOnly: true } : {}) };
  });
  if (volumes.length) spec.volumes = volumes;
  if (form.network) spec.network = form.network;
  const command = splitCommand(form.command);
  if (command.length) spec.command = command;
  return spec;
}
