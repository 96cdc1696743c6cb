// `npx tsx runtime-vm/vm/image/cli.ts [--arch amd64|arm64] [--berthd FILE]`: builds (or finds
// cached) the guest image and prints where it is, its sizes and how long the build took.
import { buildGuestImage } from './build-image';
import type { GuestArch } from './recipe';

function flag(name: string): string | undefined {
  const index = process.argv.indexOf(name);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

const archValue = flag('--arch') ?? 'amd64';
if (archValue !== 'amd64' && archValue !== 'arm64') {
  console.error(`--arch must be amd64 or arm64, not ${archValue}`);
  process.exit(2);
}
const arch: GuestArch = archValue;
const image = await buildGuestImage({ arch, berthdBundle: flag('--berthd') });
console.log(JSON.stringify({ dir: image.dir, ...image.manifest }, null, 2));
