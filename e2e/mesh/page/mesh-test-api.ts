/**
 * What the mesh test page exposes on `window.meshTest` for Playwright. Plain
 * data only (it crosses `page.evaluate`).
 */
import type { LinkKind } from '../../../src/core/transport/link.js'
import type { MeshStatus } from '../../../src/net/mesh-options.js'

export interface MeshTestEvent {
  readonly type: 'link-up' | 'link-down' | 'dial-attempt-failed' | 'peers-changed' | 'relay-state'
  readonly peer?: string
  readonly kind?: LinkKind
  readonly detail?: string
  /** ms since the page started. */
  readonly at: number
}

export interface MeshTestApi {
  readonly peerId: string
  /** ms from page start until the node started (the key was loaded). */
  readonly startedAtMs: number
  status(): MeshStatus
  /** Link kind per linked peer. */
  linkKinds(): Record<string, LinkKind>
  events(): MeshTestEvent[]
  /** Sends `count` frames of `size` bytes to `peer`, numbered from `from`; resolves when all were taken. */
  send(peer: string, from: number, count: number, size: number): Promise<void>
  /** Frame numbers received from `peer`, in arrival order. */
  received(peer: string): number[]
  stop(): Promise<void>
}

declare global {
  interface Window {
    meshTest?: MeshTestApi
    meshTestError?: string
  }
}
