import { describe, expect, it } from 'vitest';
import { runcMessage } from './conmon-runc-driver';

describe('runcMessage', () => {
  it('extracts msg fields from runc log lines', () => {
    const stderr =
      'time="2026-01-01T00:00:00Z" level=error msg="runc create failed: unable to start container process: exec: \\"nope\\": executable file not found in $PATH"\n';
    expect(runcMessage(stderr)).toBe(
      'runc create failed: unable to start container process: exec: "nope": executable file not found in $PATH',
    );
  });

  it('falls back to the raw text', () => {
    expect(runcMessage('  plain failure \n')).toBe('plain failure');
  });

  it("writes crun's errno texts in lower case, as the CLI's exit-code rules expect", () => {
    expect(
      runcMessage('executable file `/nope` not found in $PATH: No such file or directory\n'),
    ).toBe('executable file `/nope` not found in $PATH: no such file or directory');
    expect(runcMessage('open executable: Permission denied')).toBe(
      'open executable: permission denied',
    );
  });
});
