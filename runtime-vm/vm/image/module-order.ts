// busybox insmod loads exactly one file and resolves nothing, so stage 1 needs its modules in
// dependency order. modules.dep (written by depmod) lists each module's dependencies; this
// expands a wanted list into a load order with every dependency before its user.

export class ModuleResolutionError extends Error {
  override readonly name = 'ModuleResolutionError';
}

/** Parses modules.dep: `kernel/a/x.ko: kernel/b/y.ko kernel/c/z.ko` per line. */
export function parseModulesDep(text: string): Map<string, string[]> {
  const deps = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const module = line.slice(0, colon).trim();
    const needs = line
      .slice(colon + 1)
      .trim()
      .split(/\s+/)
      .filter((entry) => entry !== '');
    deps.set(module, needs);
  }
  return deps;
}

/** `virtio_pci` → its path in modules.dep; module names treat '-' and '_' alike. */
function findModulePath(deps: Map<string, string[]>, name: string): string {
  const wanted = name.replace(/-/g, '_');
  for (const path of deps.keys()) {
    const base = path.slice(path.lastIndexOf('/') + 1).replace(/\.ko(\.[a-z]+)?$/, '');
    if (base.replace(/-/g, '_') === wanted) return path;
  }
  throw new ModuleResolutionError(
    `kernel module ${name} is not in modules.dep: built into this kernel, or missing from it?`,
  );
}

/** Module paths in load order: dependencies first, each once. */
export function moduleLoadOrder(deps: Map<string, string[]>, wanted: string[]): string[] {
  const order: string[] = [];
  const placed = new Set<string>();
  const visiting = new Set<string>();
  const visit = (path: string): void => {
    if (placed.has(path)) return;
    if (visiting.has(path))
      throw new ModuleResolutionError(`kernel modules depend on each other in a cycle at ${path}`);
    visiting.add(path);
    const needs = deps.get(path);
    if (needs === undefined)
      throw new ModuleResolutionError(`modules.dep names ${path} but has no entry for it`);
    for (const need of needs) visit(need);
    visiting.delete(path);
    placed.add(path);
    order.push(path);
  };
  for (const name of wanted) visit(findModulePath(deps, name));
  return order;
}
