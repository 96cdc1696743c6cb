// Command line of berth-desktop (both modes). Unknown flags are errors that name the flag.

export const defaultBrowserPort = 7391;

export interface DesktopArgs {
  browser: boolean;
  host: string;
  port: number;
  engine?: string;
  configDir?: string;
  staticDir?: string;
  /** Binding a non-loopback address must be asked for explicitly. */
  allowRemote: boolean;
}

const loopback = new Set(['127.0.0.1', '::1', 'localhost']);

export class UsageError extends Error {}

export function parseListen(value: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(value);
  if (!match)
    throw new UsageError(`--listen expects HOST:PORT (e.g. 127.0.0.1:7391), got "${value}"`);
  const port = Number(match[3]);
  if (port > 65535) throw new UsageError(`--listen port ${port} is out of range`);
  return { host: (match[1] ?? match[2])!, port };
}

export function parseBrowserArgs(argv: readonly string[]): DesktopArgs {
  const args: DesktopArgs = {
    browser: false,
    host: '127.0.0.1',
    port: defaultBrowserPort,
    allowRemote: false,
  };
  for (let index = 0; index < argv.length; index++) {
    const flag = argv[index]!;
    const [name, inline] =
      flag.startsWith('--') && flag.includes('=')
        ? [flag.slice(0, flag.indexOf('=')), flag.slice(flag.indexOf('=') + 1)]
        : [flag, undefined];
    const value = (): string => {
      const next = inline ?? argv[++index];
      if (next === undefined) throw new UsageError(`${name} needs a value`);
      return next;
    };
    switch (name) {
      case '--browser':
        args.browser = true;
        break;
      case '--listen':
        Object.assign(args, parseListen(value()));
        break;
      case '--engine': {
        const engine = value();
        if (!/^(unix|tcp|ssh|npipe):\/\/.+/.test(engine)) {
          throw new UsageError(
            `--engine expects unix:///PATH, tcp://HOST:PORT or ssh://USER@HOST, got "${engine}"`,
          );
        }
        args.engine = engine;
        break;
      }
      case '--config-dir':
        args.configDir = value();
        break;
      case '--static-dir':
        args.staticDir = value();
        break;
      case '--allow-remote':
        args.allowRemote = true;
        break;
      default:
        // Electron and Chromium add their own switches; ignore those, refuse the rest.
        if (
          name.startsWith('--') &&
          /^--(no-sandbox|enable-|disable-|inspect|remote-debugging)/.test(name)
        )
          break;
        throw new UsageError(`unknown option "${flag}"`);
    }
  }
  if (!loopback.has(args.host) && !args.allowRemote) {
    throw new UsageError(
      `refusing to listen on ${args.host}: browser mode binds loopback only unless you add --allow-remote`,
    );
  }
  return args;
}
