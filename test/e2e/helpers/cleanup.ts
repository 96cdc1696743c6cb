// Tears down test resources in order, running every step even when an earlier one fails (a broken
// engine must not leave a registry or a daemon running), then reports the first failure.
export async function stopInOrder(...steps: (() => Promise<unknown> | undefined)[]): Promise<void> {
  const failures: unknown[] = [];
  for (const step of steps) {
    try {
      await step();
    } catch (error) {
      failures.push(error);
    }
  }
  if (failures.length > 0) throw failures[0];
}
