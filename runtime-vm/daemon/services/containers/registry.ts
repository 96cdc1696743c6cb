// The daemon's in-memory view of its containers: records by id, the name index, lookups by
// id/prefix/name, per-container operation locks, persistence and events. Runner and service
// share it; the on-disk record is always written before a change is announced.
import { ConflictError, InvalidArgumentError, NotFoundError } from '../../errors';
import type { EventBus } from '../events';
import type { ContainerStore } from './container-store';
import type { ContainerRecord } from './types';

export type WaitCondition = 'not-running' | 'next-exit' | 'removed';

export interface WaitResult {
  StatusCode: number;
  Error: { Message: string } | null;
}

interface Waiter {
  condition: WaitCondition;
  resolve: (result: WaitResult) => void;
}

export class ContainerRegistry {
  private readonly records = new Map<string, ContainerRecord>();
  private readonly names = new Map<string, string>();
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly waiters = new Map<string, Set<Waiter>>();

  constructor(
    readonly store: ContainerStore,
    private readonly events: EventBus,
  ) {}

  all(): ContainerRecord[] {
    return [...this.records.values()];
  }

  has(id: string): boolean {
    return this.records.has(id);
  }

  byId(id: string): ContainerRecord | undefined {
    return this.records.get(id);
  }

  /** Full id, unique id prefix, or name (with or without the slash), like dockerd. */
  find(ref: string): ContainerRecord | undefined {
    if (ref === '') return undefined;
    const exact = this.records.get(ref);
    if (exact) return exact;
    const byName = this.names.get(ref.startsWith('/') ? ref : `/${ref}`);
    if (byName) return this.records.get(byName);
    if (!/^[0-9a-f]+$/.test(ref)) return undefined;
    const matches = [...this.records.keys()].filter((id) => id.startsWith(ref));
    if (matches.length > 1) {
      throw new InvalidArgumentError(`multiple IDs found with provided prefix: ${ref}`);
    }
    return matches[0] === undefined ? undefined : this.records.get(matches[0]);
  }

  get(ref: string): ContainerRecord {
    const record = this.find(ref);
    if (!record) throw new NotFoundError(`No such container: ${ref}`);
    return record;
  }

  /** 409 when a container other than `id` holds `name` (with slash). */
  assertNameFree(name: string, id = ''): void {
    const holder = this.names.get(name);
    if (holder !== undefined && holder !== id) {
      throw new ConflictError(
        `Conflict. The container name "${name}" is already in use by container "${holder}". You have to remove (or rename) that container to be able to reuse that name.`,
      );
    }
  }

  /** Reserves `name` (with slash) for `id`; 409 when another container holds it. */
  reserveName(name: string, id: string): void {
    this.assertNameFree(name, id);
    this.names.set(name, id);
  }

  releaseName(name: string, id: string): void {
    if (this.names.get(name) === id) this.names.delete(name);
  }

  nameTaken(name: string): boolean {
    return this.names.has(name);
  }

  add(record: ContainerRecord): void {
    this.records.set(record.Id, record);
    this.names.set(record.Name, record.Id);
  }

  delete(record: ContainerRecord): void {
    this.records.delete(record.Id);
    this.releaseName(record.Name, record.Id);
  }

  async save(record: ContainerRecord): Promise<void> {
    if (this.records.get(record.Id) !== record) return;
    await this.store.save(record);
  }

  emit(record: ContainerRecord, action: string, extra: Record<string, string> = {}): void {
    this.events.emit({
      Type: 'container',
      Action: action,
      Actor: {
        ID: record.Id,
        Attributes: {
          ...(record.Config.Labels ?? {}),
          image: record.ImageName,
          name: record.Name.slice(1),
          ...extra,
        },
      },
    });
  }

  /** Runs `task` after every earlier task for the same container has settled. */
  async withLock<T>(id: string, task: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(id) ?? Promise.resolve();
    const run = previous.then(task, task);
    const tail = run.catch(() => undefined);
    this.locks.set(id, tail);
    try {
      return await run;
    } finally {
      if (this.locks.get(id) === tail) this.locks.delete(id);
    }
  }

  /**
   * Registers a wait; it resolves on the matching exit/removal notification, or rejects when
   * `signal` aborts (the client hung up), which also unregisters it.
   */
  addWaiter(id: string, condition: WaitCondition, signal?: AbortSignal): Promise<WaitResult> {
    return new Promise((resolve, reject) => {
      let set = this.waiters.get(id);
      if (!set) {
        set = new Set();
        this.waiters.set(id, set);
      }
      const onAbort = () => {
        waiter.resolve = () => undefined;
        this.dropWaiter(id, waiter);
        reject(new Error('wait aborted'));
      };
      const waiter: Waiter = {
        condition,
        resolve: (result) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(result);
        },
      };
      if (signal?.aborted) {
        reject(new Error('wait aborted'));
        return;
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      set.add(waiter);
    });
  }

  private dropWaiter(id: string, waiter: Waiter): void {
    const set = this.waiters.get(id);
    set?.delete(waiter);
    if (set && set.size === 0) this.waiters.delete(id);
  }

  /** The container stopped (`removed` waiters keep waiting) or was removed (everyone resolves). */
  notifyWaiters(id: string, event: 'exit' | 'removed', result: WaitResult): void {
    const set = this.waiters.get(id);
    if (!set) return;
    for (const waiter of [...set]) {
      if (event === 'removed' || waiter.condition !== 'removed') {
        set.delete(waiter);
        waiter.resolve(result);
      }
    }
    if (set.size === 0) this.waiters.delete(id);
  }
}
