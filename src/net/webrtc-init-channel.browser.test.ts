import { beforeAll, describe, expect, it } from 'vitest'
import { INIT_CHANNEL_LABEL, replayLateInitChannelEvents } from './webrtc-init-channel.js'

// The race of @libp2p/webrtc's dialer, reproduced with two peer connections
// in one page: the answering side closes `init` as soon as it arrives, and
// the dialer only starts listening for `open` and `close` once that is done.

beforeAll(() => {
  replayLateInitChannelEvents()
})

/** Resolves on the next `type` event, as libp2p's `pEvent` waits; rejects after `ms`. */
function nextEvent(channel: RTCDataChannel, type: 'open' | 'close', ms: number): Promise<Event> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no '${type}' event in ${ms} ms`)), ms)
    channel.addEventListener(
      type,
      (event) => {
        clearTimeout(timer)
        resolve(event)
      },
      { once: true },
    )
  })
}

/**
 * Connects two peer connections over host candidates; `label`'s channel is
 * opened by the first and closed by the second on arrival. Resolves with the
 * first side's channel once it is closed; `onClosing` runs when it starts
 * closing.
 */
async function channelClosedByRemote(label: string, onClosing?: (channel: RTCDataChannel) => void) {
  const dialer = new RTCPeerConnection({ iceServers: [] })
  const answerer = new RTCPeerConnection({ iceServers: [] })
  dialer.onicecandidate = ({ candidate }) => {
    if (candidate !== null) void answerer.addIceCandidate(candidate)
  }
  answerer.onicecandidate = ({ candidate }) => {
    if (candidate !== null) void dialer.addIceCandidate(candidate)
  }
  answerer.ondatachannel = ({ channel }) => channel.close()
  const channel = dialer.createDataChannel(label)
  const seen: string[] = []
  for (const type of ['open', 'closing', 'close'] as const) {
    channel.addEventListener(type, () => seen.push(type))
  }
  if (onClosing !== undefined) channel.addEventListener('closing', () => onClosing(channel))
  const closed = nextEvent(channel, 'close', 10_000)
  await dialer.setLocalDescription(await dialer.createOffer())
  await answerer.setRemoteDescription(dialer.localDescription as RTCSessionDescription)
  await answerer.setLocalDescription(await answerer.createAnswer())
  await dialer.setRemoteDescription(answerer.localDescription as RTCSessionDescription)
  await closed
  const close = () => {
    dialer.close()
    answerer.close()
  }
  return { channel, seen, close }
}

describe('an init channel closed before the dialer listens (the @libp2p/webrtc race)', () => {
  it("a late 'open' and 'close' listener is called, so the dial goes on", async () => {
    const { channel, seen, close } = await channelClosedByRemote(INIT_CHANNEL_LABEL)
    try {
      expect(seen).toEqual(['open', 'closing', 'close'])
      expect(channel.readyState).toBe('closed')
      // What libp2p's dialer does once its connection reports `connected`.
      const opened = await nextEvent(channel, 'open', 2_000)
      expect(opened.type).toBe('open')
      channel.close()
      const closed = await nextEvent(channel, 'close', 2_000)
      expect(closed.type).toBe('close')
      // Replays go to the late listener alone: the early ones heard each event once.
      expect(seen).toEqual(['open', 'closing', 'close'])
    } finally {
      close()
    }
  })

  it("a late 'open' listener is called while the channel is closing, a 'close' one once", async () => {
    const heard: string[] = []
    const { close } = await channelClosedByRemote(INIT_CHANNEL_LABEL, (channel) => {
      expect(channel.readyState).toBe('closing')
      for (const type of ['open', 'close'] as const) {
        channel.addEventListener(type, () => heard.push(type))
      }
    })
    try {
      // The late 'close' listener runs after the helper's, in the same dispatch,
      // but after a microtask checkpoint that may already resume this test.
      await expect.poll(() => heard).toEqual(['open', 'close'])
      await new Promise((resolve) => setTimeout(resolve, 50))
      expect(heard).toEqual(['open', 'close'])
    } finally {
      close()
    }
  })

  it('a late listener on a channel with another label waits, as the browser has it', async () => {
    const { channel, close } = await channelClosedByRemote('')
    try {
      await expect(nextEvent(channel, 'close', 300)).rejects.toThrow("no 'close' event")
      await expect(nextEvent(channel, 'open', 300)).rejects.toThrow("no 'open' event")
    } finally {
      close()
    }
  })

  it('installing twice wraps createDataChannel once', () => {
    const before = RTCPeerConnection.prototype.createDataChannel
    replayLateInitChannelEvents()
    expect(RTCPeerConnection.prototype.createDataChannel).toBe(before)
  })
})
