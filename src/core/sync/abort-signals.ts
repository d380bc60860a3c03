/**
 * Small AbortSignal helpers. We link signals by hand rather than with
 * `AbortSignal.any` so listeners are removed as soon as a session settles
 * (long-lived parent signals would otherwise collect one listener per
 * session) and so older edge runtimes work too.
 */

export interface LinkedSignal {
  readonly signal: AbortSignal
  /** Detaches from the parents; idempotent. */
  dispose(): void
}

/** A signal that aborts, with the first parent's reason, when any parent aborts. */
export function linkSignals(...parents: readonly AbortSignal[]): LinkedSignal {
  const controller = new AbortController()
  const detachers: (() => void)[] = []
  const dispose = () => {
    for (const detach of detachers.splice(0)) detach()
  }
  for (const parent of parents) {
    if (parent.aborted) {
      dispose()
      controller.abort(parent.reason)
      break
    }
    const onAbort = () => {
      dispose()
      controller.abort(parent.reason)
    }
    parent.addEventListener('abort', onAbort, { once: true })
    detachers.push(() => parent.removeEventListener('abort', onAbort))
  }
  return { signal: controller.signal, dispose }
}

/**
 * Settles with `work`, or rejects with the signal's reason as soon as it
 * aborts, whichever comes first. `work` keeps running if it ignores the
 * signal; its late rejection is swallowed so it can never go unhandled.
 */
export function raceAbort<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  work.catch(() => {})
  if (signal.aborted) return Promise.reject(signal.reason)
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(error)
      },
    )
  })
}
