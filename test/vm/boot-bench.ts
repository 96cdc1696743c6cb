// Cold-boot benchmark for the bundled VM: boots a fresh VM (new state folder, so a blank data disk
// formatted at first boot) N times and prints the boot breakdown of each run, then best and median
// per stage and the load average. Not a test: boot time is measured here, never asserted.
//   npx tsx test/vm/boot-bench.ts [runs]   (BERTH_VM_BERTHD, BERTH_VM_ACCEL, BERTH_VM_CACHE apply)
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  buildGuestImage,
  IMAGE_FILES,
  type GuestImage,
} from '../../runtime-vm/vm/image/build-image';
import { QemuDriver } from '../../runtime-vm/vm/launcher/qemu/qemu-driver';
import { VmMachine, type BootReport } from '../../runtime-vm/vm/launcher/vm-machine';

const runs = Number(process.argv[2] ?? 3);
if (!Number.isInteger(runs) || runs < 1) throw new Error(`runs: expected a count, got ${runs}`);

// BERTH_BENCH_CMDLINE: kernel parameters to try without rebuilding the image ("-quiet" drops one).
const cmdlineEdits = (process.env.BERTH_BENCH_CMDLINE ?? '').split(/\s+/).filter(Boolean);
const dropped = new Set(cmdlineEdits.filter((p) => p.startsWith('-')).map((p) => p.slice(1)));
const extraCmdline = cmdlineEdits.filter((p) => !p.startsWith('-'));
// BERTH_BENCH_IMAGE: an image folder built earlier (for A/B runs against the current sources).
const imageDir = process.env.BERTH_BENCH_IMAGE;
const image: GuestImage = imageDir
  ? {
      dir: imageDir,
      kernel: join(imageDir, IMAGE_FILES.kernel),
      initramfs: join(imageDir, IMAGE_FILES.initramfs),
      rootDisk: join(imageDir, IMAGE_FILES.rootDisk),
      manifest: JSON.parse(readFileSync(join(imageDir, IMAGE_FILES.manifest), 'utf8')),
    }
  : await buildGuestImage({ berthdBundle: process.env.BERTH_VM_BERTHD });
const rows: Array<Record<string, number>> = [];
for (let run = 1; run <= runs; run++) {
  const stateDir = mkdtempSync(join(tmpdir(), 'berth-vm-bench-'));
  const machine = new VmMachine({
    driver: new QemuDriver({ accelOverride: process.env.BERTH_VM_ACCEL ?? 'tcg' }),
    image: async () => ({
      ...image,
      cmdline: [...image.manifest.cmdline.filter((p) => !dropped.has(p)), ...extraCmdline],
    }),
    stateDir,
    hostSocketPath: join(stateDir, 'engine.sock'),
    timing: {
      readyTimeoutMs: 180_000,
      restart: { initialMs: 1000, maxMs: 1000, healthyAfterMs: 60_000, maxAttempts: 1 },
    },
  });
  machine.updateSettings({ cpus: 2, memoryMiB: 1024, diskGiB: 8 });
  const loadBefore = loadavg()[0] ?? 0;
  try {
    await machine.start();
    const report = machine.bootReport as BootReport;
    const row = {
      kernelS: report.guest.stage1StartS,
      stage1S: report.guest.switchRootS,
      mkfsS: report.guest.mkfsS ?? 0,
      berthdLaunchS: report.guest.berthdLaunchS ?? 0,
      initS: report.guest.initDoneS,
      agentS: report.guest.agentStartS,
      agentNodeS: report.guest.agentNodeStartupS,
      berthdReadyS: report.guest.berthdReadyS,
      helloMs: report.helloMs,
      berthdReadyMs: report.berthdReadyMs,
      pingMs: report.pingMs,
      load: loadBefore,
    };
    rows.push(row);
    console.log(`run ${run}`, JSON.stringify(row));
    if (process.env.BERTH_BENCH_CONSOLE) console.log(readFileSync(machine.consoleLogPath, 'utf8'));
  } finally {
    await machine.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

const stat = (key: string): string => {
  const values = rows.map((row) => row[key] ?? 0).sort((a, b) => a - b);
  const median = values[Math.floor((values.length - 1) / 2)] ?? 0;
  return `${key}: best ${values[0]?.toFixed(2)} median ${median.toFixed(2)}`;
};
for (const key of Object.keys(rows[0] ?? {})) console.log(stat(key));
console.log(
  'loadavg now',
  loadavg()
    .map((n) => n.toFixed(2))
    .join(' '),
);
