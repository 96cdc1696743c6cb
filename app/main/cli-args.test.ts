import { describe, expect, it } from 'vitest';
import { defaultBrowserPort, parseBrowserArgs } from './cli-args';

describe('berth-desktop arguments', () => {
  it('defaults to loopback on the fixed port', () => {
    expect(parseBrowserArgs(['--browser'])).toMatchObject({
      browser: true,
      host: '127.0.0.1',
      port: defaultBrowserPort,
    });
  });

  it('parses --listen, --engine and inline values', () => {
    expect(
      parseBrowserArgs([
        '--browser',
        '--listen',
        '127.0.0.1:0',
        '--engine=unix:///run/berth/berthd.sock',
      ]),
    ).toMatchObject({
      port: 0,
      engine: 'unix:///run/berth/berthd.sock',
    });
    expect(parseBrowserArgs(['--listen', '[::1]:9000'])).toMatchObject({ host: '::1', port: 9000 });
  });

  it('refuses other addresses unless remote binding is asked for', () => {
    expect(() => parseBrowserArgs(['--listen', '0.0.0.0:7391'])).toThrow(
      'binds loopback only unless you add --allow-remote',
    );
    expect(parseBrowserArgs(['--listen', '0.0.0.0:7391', '--allow-remote'])).toMatchObject({
      host: '0.0.0.0',
    });
  });

  it('names bad input', () => {
    expect(() => parseBrowserArgs(['--listen', 'localhost'])).toThrow('--listen expects HOST:PORT');
    expect(() => parseBrowserArgs(['--listen', '127.0.0.1:70000'])).toThrow(
      'port 70000 is out of range',
    );
    expect(() => parseBrowserArgs(['--engine', 'docker.sock'])).toThrow(
      '--engine expects unix:///PATH',
    );
    expect(() => parseBrowserArgs(['--engine'])).toThrow('--engine needs a value');
    expect(() => parseBrowserArgs(['--bogus'])).toThrow('unknown option "--bogus"');
  });
});
