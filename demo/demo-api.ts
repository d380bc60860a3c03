/**
 * What the demo page exposes on `window.meshlogDemo` for the e2e tests and
 * the curious (plain data and promises; it crosses `page.evaluate`).
 */
import type { MeshLogStatus } from '../src/client/mesh-log-events.js'

export interface DemoEntry {
  readonly seq: number
  readonly author: string
  readonly text: string
}

/** A role or leader change as it reached the page, stamped with `Date.now()`. */
export interface DemoEvent {
  readonly type: 'role-changed' | 'leader-changed'
  readonly channel: string
  readonly role?: string
  readonly leader?: string
  readonly at: number
}

export interface MeshlogDemoApi {
  readonly peerId: string
  readonly channel: string
  status(): Promise<MeshLogStatus>
  /** The channel's entries as this page holds them, in seq order. */
  entries(): readonly DemoEntry[]
  /** The seq when this peer committed it (it leads), undefined while pending in the outbox. */
  append(text: string): Promise<number | undefined>
  setOnline(online: boolean): Promise<void>
  events(): readonly DemoEvent[]
}

declare global {
  interface Window {
    meshlogDemo?: MeshlogDemoApi
    meshlogDemoError?: string
  }
}
