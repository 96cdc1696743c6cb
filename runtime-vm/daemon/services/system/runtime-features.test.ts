import { describe, expect, it } from 'vitest';
import {
  kernelSupportsRecursiveReadOnly,
  ociRuntimeFeaturesKey,
  RuntimeFeatureProbe,
} from './runtime-features';

const runcFeatures = { ociVersionMin: '1.0.0', mountOptions: ['ro', 'rro', 'rbind'] };

describe('kernelSupportsRecursiveReadOnly', () => {
  it('needs Linux 5.12 or newer', () => {
    expect(kernelSupportsRecursiveReadOnly('6.1.0-13-amd64')).toBe(true);
    expect(kernelSupportsRecursiveReadOnly('5.12.0')).toBe(true);
    expect(kernelSupportsRecursiveReadOnly('5.11.22')).toBe(false);
    expect(kernelSupportsRecursiveReadOnly('4.19.0')).toBe(false);
    expect(kernelSupportsRecursiveReadOnly('unknown')).toBe(false);
  });
});

describe('RuntimeFeatureProbe', () => {
  it('asks the runtime once and reports rro support and the /info status', async () => {
    const calls: string[] = [];
    const probe = new RuntimeFeatureProbe(
      '/usr/sbin/runc',
      async (path) => {
        calls.push(path);
        return JSON.stringify(runcFeatures);
      },
      '6.1.0',
    );
    expect(probe.runtimeName).toBe('runc');
    expect(await probe.recursiveReadOnly()).toEqual({ supported: true });
    expect(await probe.status()).toEqual({
      [ociRuntimeFeaturesKey]: JSON.stringify(runcFeatures),
    });
    expect(calls).toEqual(['/usr/sbin/runc']);
  });

  it("gives dockerd's reasons when rro is not possible", async () => {
    const oldKernel = new RuntimeFeatureProbe('/x/runc', async () => '{}', '5.10.0');
    expect(await oldKernel.recursiveReadOnly()).toEqual({
      supported: false,
      reason:
        'rro is not supported: kernel 5.10.0 has no mount_setattr (kernel is older than 5.12?)',
    });
    const noFeatures = new RuntimeFeatureProbe(
      '/x/crun',
      async () => {
        throw new Error('unknown command features');
      },
      '6.1.0',
    );
    expect(await noFeatures.recursiveReadOnly()).toEqual({
      supported: false,
      reason: 'rro is not supported by runtime "crun": OCI features struct is not available',
    });
    expect(await noFeatures.status()).toEqual({});
    // crun 1.8 has no `features` command but applies rro; older ones are taken at their word.
    const noCommand = async () => {
      throw new Error('unknown command features');
    };
    const crun = (version: string) =>
      new RuntimeFeatureProbe('/x/crun', noCommand, '6.1.0', async () => version);
    expect(await crun('crun version 1.8.1\ncommit: f8a096b\n').recursiveReadOnly()).toEqual({
      supported: true,
    });
    expect(await crun('crun version 1.4.5\n').recursiveReadOnly()).toMatchObject({
      supported: false,
    });
    expect(await crun('crun version 1.8.1\n').status()).toEqual({});
    const garbled = new RuntimeFeatureProbe('/x/runc', async () => 'not json', '6.1.0');
    expect(await garbled.features()).toBeUndefined();
    const noRro = new RuntimeFeatureProbe(
      '/x/runc',
      async () => JSON.stringify({ mountOptions: ['ro'] }),
      '6.1.0',
    );
    expect(await noRro.recursiveReadOnly()).toEqual({
      supported: false,
      reason: 'rro is not supported by runtime "runc"',
    });
  });
});
