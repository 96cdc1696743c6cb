import { method, type ServiceOf } from '../contract';
import type { ImageHistoryEntry, ImageSummary, PruneResult, PullProgress } from '../types';
import { dockerRef, v } from '../validation';

export const imagesSpec = {
  list: method<ImageSummary[]>()(v.none()),
  /** Streams one PullProgress per engine progress line; resolves when the pull completes. */
  pull: method<{ ref: string }, PullProgress>()(v.object({ ref: dockerRef })),
  tag: method<void>()(
    v.object({
      id: dockerRef,
      repo: dockerRef,
      tag: v.optional(v.string({ min: 1, max: 128, pattern: /^[\w][\w.-]*$/ })),
    }),
  ),
  /** 409 from the engine becomes code 'conflict' with a message naming the containers. */
  remove: method<void>()(v.object({ id: dockerRef, force: v.optional(v.boolean()) })),
  prune: method<PruneResult>()(v.object({ dangling: v.optional(v.boolean()) })),
  history: method<ImageHistoryEntry[]>()(v.object({ id: dockerRef })),
};

export type ImagesService = ServiceOf<typeof imagesSpec>;
