// Turns the default policy data into the OCI seccomp section for one container's capabilities.
import type { OciSeccomp, OciSeccompSyscall } from '../../../drivers/runtime/oci-spec';
import {
  allowedPersonalities,
  alwaysAllowed,
  capabilityGated,
  cloneNamespaceFlags,
  seccompArchitectures,
  x86Allowed,
} from './seccomp-default';

const EPERM = 1;
const ENOSYS = 38;

export function defaultSeccompProfile(
  capabilities: readonly string[],
  arch: string = process.arch,
): OciSeccomp {
  const caps = new Set(capabilities);
  const allowed = new Set(alwaysAllowed);
  if (arch === 'x64' || arch === 'ia32') for (const name of x86Allowed) allowed.add(name);
  for (const gate of capabilityGated) {
    if (caps.has(gate.capability)) for (const name of gate.names) allowed.add(name);
  }
  const syscalls: OciSeccompSyscall[] = [{ names: [...allowed].sort(), action: 'SCMP_ACT_ALLOW' }];
  for (const persona of allowedPersonalities) {
    syscalls.push({
      names: ['personality'],
      action: 'SCMP_ACT_ALLOW',
      args: [{ index: 0, value: persona, op: 'SCMP_CMP_EQ' }],
    });
  }
  if (!caps.has('CAP_SYS_ADMIN')) {
    // clone without namespace flags is ordinary fork/thread creation (s390 swaps the arguments).
    syscalls.push({
      names: ['clone'],
      action: 'SCMP_ACT_ALLOW',
      args: [
        {
          index: arch === 's390x' ? 1 : 0,
          value: cloneNamespaceFlags,
          valueTwo: 0,
          op: 'SCMP_CMP_MASKED_EQ',
        },
      ],
    });
    // clone3 hides its flags in memory seccomp cannot read: ENOSYS makes libc fall back to clone.
    syscalls.push({ names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: ENOSYS });
  }
  return {
    defaultAction: 'SCMP_ACT_ERRNO',
    defaultErrnoRet: EPERM,
    architectures: [...(seccompArchitectures[arch] ?? [])],
    syscalls,
  };
}
