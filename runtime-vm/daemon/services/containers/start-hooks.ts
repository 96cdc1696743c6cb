// Work to do at a container's next start, after its supervisor is up and before its process
// runs (attach clients connect then, so they miss no output). One set per container id.
import { raceTimeout } from './runner-support';

/** A hook that hangs (a stuck client) must not hold the container back for long. */
const hookTimeoutMs = 5000;

export class StartHooks {
  private readonly hooks = new Map<string, Set<() => Promise<void>>>();

  /** Registers `hook` for the next start of `id`; returns the disposer. */
  add(id: string, hook: () => Promise<void>): () => void {
    let hooks = this.hooks.get(id);
    if (!hooks) this.hooks.set(id, (hooks = new Set()));
    hooks.add(hook);
    return () => {
      hooks.delete(hook);
      if (hooks.size === 0 && this.hooks.get(id) === hooks) this.hooks.delete(id);
    };
  }

  /** Runs and forgets the hooks of `id`, each bounded in time; failures go to `onError`. */
  async run(id: string, onError: (error: unknown) => void): Promise<void> {
    const hooks = this.hooks.get(id);
    if (!hooks) return;
    this.hooks.delete(id);
    await Promise.all([...hooks].map((hook) => raceTimeout(hook().catch(onError), hookTimeoutMs)));
  }
}
