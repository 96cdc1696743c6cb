// Guest networking. QEMU user-mode networking always hands out 10.0.2.15 with 10.0.2.2 as the
// gateway and 10.0.2.3 as DNS, so the static setup skips DHCP's round trips at boot; `dhcp`
// (busybox udhcpc) is for hypervisors with a real DHCP server (vfkit's NAT).
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { run } from './run';

export type NetworkMode = 'static' | 'dhcp';

export interface GuestAddress {
  address: string;
}

export const USER_NET = { address: '10.0.2.15', prefix: 24, gateway: '10.0.2.2', dns: '10.0.2.3' };

export function networkModeFromCmdline(cmdline: string): NetworkMode {
  const match = /(?:^|\s)berth\.net=(\S+)/.exec(cmdline);
  const value = match?.[1] ?? 'static';
  if (value !== 'static' && value !== 'dhcp')
    throw new Error(`berth.net=${value}: expected static or dhcp`);
  return value;
}

const UDHCPC_SCRIPT = `#!/bin/sh
# Applies a busybox udhcpc lease: address, default route and DNS.
case "$1" in
  bound|renew)
    ip addr flush dev "$interface"
    ip addr add "$ip/\${mask:-24}" dev "$interface"
    for r in $router; do ip route replace default via "$r" dev "$interface"; break; done
    : > /etc/resolv.conf
    for d in $dns; do echo "nameserver $d" >> /etc/resolv.conf; done
    echo "$ip" > /run/berth-agent/address
    ;;
esac
`;

export async function setUpNetwork(mode: NetworkMode): Promise<GuestAddress> {
  if (mode === 'static') {
    await run(
      'ip',
      ['-batch', '-'],
      [
        'link set lo up',
        'link set eth0 up',
        `addr add ${USER_NET.address}/${USER_NET.prefix} dev eth0`,
        `route add default via ${USER_NET.gateway}`,
      ].join('\n') + '\n',
    );
    await writeFile('/etc/resolv.conf', `nameserver ${USER_NET.dns}\n`);
    return { address: USER_NET.address };
  }
  await run('ip', ['-batch', '-'], 'link set lo up\nlink set eth0 up\n');
  await writeFile('/run/berth-agent/udhcpc.sh', UDHCPC_SCRIPT);
  await chmod('/run/berth-agent/udhcpc.sh', 0o755);
  await run('busybox', [
    'udhcpc',
    '-i',
    'eth0',
    '-q',
    '-n',
    '-t',
    '10',
    '-s',
    '/run/berth-agent/udhcpc.sh',
  ]);
  return { address: (await readFile('/run/berth-agent/address', 'utf8')).trim() };
}
