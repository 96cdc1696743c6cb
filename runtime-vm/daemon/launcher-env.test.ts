import { describe, expect, it } from 'vitest';
import { dropLauncherPreload } from './launcher-env';

const jemalloc = '/usr/lib/x86_64-linux-gnu/libjemalloc.so.2';

describe('dropLauncherPreload', () => {
  it('takes the launcher preload, its settings and its marker out of the environment', () => {
    const env: NodeJS.ProcessEnv = {
      LD_PRELOAD: jemalloc,
      MALLOC_CONF: 'background_thread:true',
      BERTHD_PRELOADED: jemalloc,
      PATH: '/usr/bin',
    };
    expect(dropLauncherPreload(env)).toBe(jemalloc);
    expect(env).toEqual({ PATH: '/usr/bin' });
  });

  it("keeps the user's own preloads", () => {
    const env: NodeJS.ProcessEnv = {
      LD_PRELOAD: `${jemalloc}:/opt/trace.so`,
      BERTHD_PRELOADED: jemalloc,
    };
    dropLauncherPreload(env);
    expect(env).toEqual({ LD_PRELOAD: '/opt/trace.so' });
  });

  it('leaves an environment the launcher did not touch alone', () => {
    const env: NodeJS.ProcessEnv = { LD_PRELOAD: '/opt/trace.so', MALLOC_CONF: 'narenas:1' };
    expect(dropLauncherPreload(env)).toBeUndefined();
    expect(env).toEqual({ LD_PRELOAD: '/opt/trace.so', MALLOC_CONF: 'narenas:1' });
  });
});
