/**
 * The page's part of a drain: when the tab is going (`pagehide`) the worker
 * hands off every channel this peer leads, so the mesh fails over without a
 * heartbeat timeout; a page restored from the back-forward cache
 * (`pageshow` with `persisted`) stands for election again. The page cannot
 * wait for the hand-off: it asks, and the worker's control loop pulls its
 * tick in and sends the hand-offs within milliseconds.
 *
 * It also relays what the page measured about its links: the round trips
 * of the links that ping (libp2p stream links have an `rtt`), once a
 * second, for the control loop's locality probe.
 */
import type { PeerId } from '../core/log/ids.js'
import type { Link } from '../core/transport/link.js'

export const RTT_REPORT_MS = 1_000

export interface PageDrainOptions {
  readonly target: EventTarget | null
  readonly drain: () => void
  readonly standAgain: () => void
  readonly links: () => ReadonlyMap<PeerId, Link>
  readonly reportRtt: (samples: { peer: string; rttMs: number }[]) => void
}

/** Starts listening; returns the function that stops. */
export function watchPage(options: PageDrainOptions): () => void {
  const onHide = () => options.drain()
  const onShow = (event: Event) => {
    if ((event as { persisted?: boolean }).persisted === true) options.standAgain()
  }
  options.target?.addEventListener('pagehide', onHide)
  options.target?.addEventListener('pageshow', onShow)
  const timer = setInterval(() => {
    const samples: { peer: string; rttMs: number }[] = []
    for (const [peer, link] of options.links()) {
      const rtt = (link as { readonly rtt?: unknown }).rtt
      if (typeof rtt === 'number' && Number.isFinite(rtt)) samples.push({ peer, rttMs: rtt })
    }
    if (samples.length > 0) options.reportRtt(samples)
  }, RTT_REPORT_MS)
  return () => {
    options.target?.removeEventListener('pagehide', onHide)
    options.target?.removeEventListener('pageshow', onShow)
    clearInterval(timer)
  }
}
