/**
 * The hook that exports the last spans before the process exits (set by startTracing, called by
 * runService after `close`). Kept apart from the tracing entry point so that lifecycle.ts does
 * not load the OpenTelemetry SDK in processes that never start it.
 */
let shutdown: (() => Promise<void>) | null = null;

/** Registers the SDK's shutdown (flushes buffered spans). */
export function setTelemetryShutdown(fn: () => Promise<void>): void {
  shutdown = fn;
}

/**
 * Flushes and stops telemetry if it was started; never throws, and gives up after `timeoutMs`
 * (an unreachable collector must not push the stop past runService's close margin).
 */
export async function shutdownTelemetry(timeoutMs = 1_000): Promise<void> {
  if (!shutdown) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    shutdown().catch(() => undefined),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
      timer.unref();
    }),
  ]);
  clearTimeout(timer);
}
