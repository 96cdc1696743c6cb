import { method, type ServiceOf } from '../contract';
import type { NetworkSummary } from '../types';
import { dockerRef, v } from '../validation';

const networkName = v.string({ min: 1, max: 128, pattern: /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/ });
const cidr = v.string({ min: 9, max: 43, pattern: /^[0-9a-fA-F.:]+\/\d{1,3}$/ });

export const networksSpec = {
  list: method<NetworkSummary[]>()(v.none()),
  create: method<{ id: string }>()(
    v.object({
      name: networkName,
      driver: v.optional(v.literal('bridge', 'macvlan', 'ipvlan', 'overlay')),
      subnet: v.optional(cidr),
      internal: v.optional(v.boolean()),
    }),
  ),
  remove: method<void>()(v.object({ id: dockerRef })),
  connect: method<void>()(v.object({ id: dockerRef, container: dockerRef })),
  disconnect: method<void>()(
    v.object({ id: dockerRef, container: dockerRef, force: v.optional(v.boolean()) }),
  ),
};

export type NetworksService = ServiceOf<typeof networksSpec>;
