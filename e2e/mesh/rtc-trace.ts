/**
 * A trace of every RTCPeerConnection a mesh test page makes: its signaling,
 * ICE and connection states, candidates both ways, and the events of the
 * `init` data channel @libp2p/webrtc opens to start ICE. `printMeshState`
 * prints it when a mesh does not form: it is how the hung dials of
 * `src/net/webrtc-init-channel.ts` were found (both sides `connected`
 * while the dialer still waited). It only listens; nothing it wraps
 * behaves differently.
 */
import type { Page } from '@playwright/test'

const TRACE_LINES_MAX = 4000

/** Runs in the page before its scripts (`page.addInitScript`); serialized, so self-contained. */
export function traceRtcPeerConnections(maxLines: number): void {
  const Native = globalThis.RTCPeerConnection
  if (Native === undefined) return
  const started = performance.now()
  const lines: string[] = []
  ;(globalThis as unknown as { __rtcTrace: string[] }).__rtcTrace = lines
  let made = 0
  // Closures, not private fields: the function is sent to the page as source.
  const notes = new WeakMap<RTCPeerConnection, (what: string) => void>()
  const note = (pc: RTCPeerConnection, what: string): void => notes.get(pc)?.(what)
  const traceInit = (pc: RTCPeerConnection, channel: RTCDataChannel, side: string): void => {
    if (channel.label !== 'init') return
    note(pc, `${side} init ${channel.readyState}`)
    for (const type of ['open', 'closing', 'close'])
      channel.addEventListener(type, () => note(pc, `init ${type}`))
  }
  class TracedPeerConnection extends Native {
    constructor(configuration?: RTCConfiguration) {
      super(configuration)
      const id = ++made
      notes.set(this, (what) => {
        if (lines.length < maxLines)
          lines.push(`${Math.round(performance.now() - started)} pc${id} ${what}`)
      })
      note(this, 'new')
      this.addEventListener('signalingstatechange', () => note(this, `sig=${this.signalingState}`))
      this.addEventListener('iceconnectionstatechange', () =>
        note(this, `ice=${this.iceConnectionState}`),
      )
      this.addEventListener('connectionstatechange', () =>
        note(this, `conn=${this.connectionState}`),
      )
      this.addEventListener('icecandidate', (e) =>
        note(this, `local ${e.candidate?.candidate ?? 'end'}`),
      )
      this.addEventListener('datachannel', (e) => traceInit(this, e.channel, 'remote'))
    }

    override createDataChannel(label: string, init?: RTCDataChannelInit): RTCDataChannel {
      const channel = super.createDataChannel(label, init)
      traceInit(this, channel, 'local')
      return channel
    }

    override addIceCandidate(candidate?: RTCIceCandidateInit | null): Promise<void> {
      note(this, `remote ${candidate?.candidate ?? 'end'}`)
      return super.addIceCandidate(candidate ?? undefined)
    }

    override close(): void {
      note(this, `close() in ${this.connectionState}`)
      super.close()
    }
  }
  globalThis.RTCPeerConnection = TracedPeerConnection
}

export async function installRtcTrace(page: Page): Promise<void> {
  await page.addInitScript(traceRtcPeerConnections, TRACE_LINES_MAX)
}

export function rtcTrace(page: Page): Promise<string[]> {
  return page.evaluate(
    () => (globalThis as unknown as { __rtcTrace?: string[] }).__rtcTrace?.slice() ?? [],
  )
}
