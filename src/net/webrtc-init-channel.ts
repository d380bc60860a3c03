/**
 * Works around a race in @libp2p/webrtc 6 (6.0.33, the latest release) that
 * left a WebRTC dial hanging until its deadline although both browsers had
 * connected.
 *
 * The dialer creates a data channel labelled `init`, waits until its
 * `RTCPeerConnection` reports `connected`, then, unless the channel is
 * `open`, waits for its `open` event; it closes the channel and waits for its
 * `close` event. The answering side closes `init` as soon as the channel
 * reaches it. When the dialer's `connectionstatechange` comes late (it is
 * queued on its own, and a loaded page runs it after the channel's events),
 * the channel is already `closing` or `closed` by then: `open` has fired, and
 * the dial waits out its deadline (6 s) while the other side holds a working
 * connection. Traced in the e2e mesh tests (Chromium, three pages): in about
 * half the runs one dial hung this way, some pairs on every retry for 20 s.
 *
 * The fix replays the past: on an `init` channel that opened and is closing
 * or closed, a listener added for `open` is called at once (in a microtask)
 * with an event of that type, and so is one added for `close` once the
 * channel is closed. Channels with any other label, and every event a
 * channel really fires, are untouched. The patch goes on
 * `RTCPeerConnection.prototype.createDataChannel` because @libp2p/webrtc
 * holds its own reference to the constructor, taken when it loads.
 */

/** The label @libp2p/webrtc gives the channel a dialer opens to start ICE. */
export const INIT_CHANNEL_LABEL = 'init'

const PATCHED = Symbol.for('meshlog.webrtc-init-channel')

type PatchedPrototype = RTCPeerConnection & { [PATCHED]?: true }

/** Installs the fix once per realm; a no-op where WebRTC does not exist (workers, Node). */
export function replayLateInitChannelEvents(): void {
  const prototype = globalThis.RTCPeerConnection?.prototype as PatchedPrototype | undefined
  if (prototype === undefined || prototype[PATCHED] === true) return
  const create = prototype.createDataChannel
  Object.defineProperty(prototype, PATCHED, { value: true })
  prototype.createDataChannel = function createDataChannel(
    this: RTCPeerConnection,
    label: string,
    init?: RTCDataChannelInit,
  ): RTCDataChannel {
    const channel = create.call(this, label, init)
    if (label === INIT_CHANNEL_LABEL) replayPastEvents(channel)
    return channel
  }
}

function replayPastEvents(channel: RTCDataChannel): void {
  let opened = false
  channel.addEventListener(
    'open',
    () => {
      opened = true
    },
    { once: true },
  )
  const add = channel.addEventListener.bind(channel)
  channel.addEventListener = ((
    type: string,
    listener: EventListenerOrEventListenerObject,
    options?: boolean | AddEventListenerOptions,
  ) => {
    add(type, listener, options)
    if (!isPast(type, channel.readyState, opened)) return
    queueMicrotask(() => {
      const event = new Event(type)
      if (typeof listener === 'function') listener.call(channel, event)
      else listener.handleEvent(event)
    })
  }) as RTCDataChannel['addEventListener']
}

/**
 * `open` is past once an opened channel started closing (the remote's close
 * makes it `closing` first, and libp2p looks at the state then too); `close`
 * is past once closed, and still to come while closing.
 */
function isPast(type: string, state: RTCDataChannelState, opened: boolean): boolean {
  if (type === 'open') return opened && (state === 'closing' || state === 'closed')
  return type === 'close' && state === 'closed'
}
