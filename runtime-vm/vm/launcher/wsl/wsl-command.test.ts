import { describe, expect, it } from 'vitest';
import {
  applyWslConfig,
  parseWslList,
  wslAgentCommand,
  wslImportCommand,
  wslResizeCommand,
  wslTerminateCommand,
} from './wsl-command';

describe('wsl.exe command lines', () => {
  it('imports the root tarball as a WSL2 distribution', () => {
    expect(wslImportCommand('Berth', 'C:\\Users\\me\\.berth\\wsl', 'C:\\img\\root.tar')).toEqual({
      binary: 'wsl.exe',
      args: [
        '--import',
        'Berth',
        'C:\\Users\\me\\.berth\\wsl',
        'C:\\img\\root.tar',
        '--version',
        '2',
      ],
    });
  });

  it('runs the agent as root with its stdio as the channel and berthd flags passed along', () => {
    expect(wslAgentCommand('Berth', ['berth.berthd=LS1kZWJ1Zw==']).args).toEqual([
      '--distribution',
      'Berth',
      '--user',
      'root',
      '--exec',
      '/usr/local/bin/node',
      '/opt/berth/agent.mjs',
      '--channel=stdio',
      '--no-system-setup',
      'berth.berthd=LS1kZWJ1Zw==',
    ]);
  });

  it('terminates and resizes by distribution name', () => {
    expect(wslTerminateCommand('Berth').args).toEqual(['--terminate', 'Berth']);
    expect(wslResizeCommand('Berth', 64).args).toEqual(['--manage', 'Berth', '--resize', '64GB']);
  });

  it('reads the UTF-16 distribution list', () => {
    expect(parseWslList(Buffer.from('\uFEFFUbuntu\r\nBerth\r\n\r\n', 'utf16le'))).toEqual([
      'Ubuntu',
      'Berth',
    ]);
  });
});

describe('applyWslConfig', () => {
  const settings = { cpus: 4, memoryMiB: 8192, diskGiB: 64 };

  it('creates the [wsl2] section in an empty file', () => {
    expect(applyWslConfig('', settings)).toBe('[wsl2]\nprocessors=4\nmemory=8192MB\n');
  });

  it('replaces the keys in [wsl2] and keeps everything else', () => {
    const existing = '[wsl2]\r\nmemory=2GB\r\nswap=0\r\n\r\n[experimental]\r\nprocessors=1\r\n';
    expect(applyWslConfig(existing, settings)).toBe(
      '[wsl2]\nmemory=8192MB\nswap=0\nprocessors=4\n\n[experimental]\nprocessors=1\n',
    );
  });

  it('appends [wsl2] after other sections', () => {
    expect(applyWslConfig('[boot]\nsystemd=true\n', settings)).toBe(
      '[boot]\nsystemd=true\n\n[wsl2]\nprocessors=4\nmemory=8192MB\n',
    );
  });
});
