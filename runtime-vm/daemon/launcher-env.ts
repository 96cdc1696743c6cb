// The launcher (bin/berthd) preloads jemalloc for berthd alone. By the time this runs the dynamic
// loader has used LD_PRELOAD, so it comes out of the environment berthd's children inherit
// (conmon, runc, ip, iptables...), together with jemalloc's settings and the launcher's marker.
export function dropLauncherPreload(env: NodeJS.ProcessEnv): string | undefined {
  const preloaded = env['BERTHD_PRELOADED'];
  if (!preloaded) return undefined;
  const rest = (env['LD_PRELOAD'] ?? '')
    .split(':')
    .filter((entry) => entry !== '' && entry !== preloaded);
  if (rest.length > 0) env['LD_PRELOAD'] = rest.join(':');
  else delete env['LD_PRELOAD'];
  delete env['MALLOC_CONF'];
  delete env['BERTHD_PRELOADED'];
  return preloaded;
}
