import { generateKeyPair } from '@libp2p/crypto/keys'
import type { Connection } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { describe, expect, it } from 'vitest'
import { TimeoutError } from '../core/errors.js'
import { DialError } from './net-errors.js'
import { type DialAttemptFailure, dialPeer, type PeerDialerOptions } from './peer-dialer.js'

async function newPeerId(): Promise<string> {
  return peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
}

/** A node whose every dial reports `steps` as libp2p progress, then hangs until aborted. */
function hangingNode(steps: readonly string[]): PeerDialerOptions['node'] {
  return {
    getConnections: () => [],
    dial: (_addr, options) =>
      new Promise<Connection>((_, reject) => {
        const onProgress = options?.onProgress as ((e: { type: string }) => void) | undefined
        for (const type of steps) onProgress?.({ type })
        options?.signal?.addEventListener('abort', () => reject(options.signal?.reason))
      }),
  }
}

async function dialerOptions(
  node: PeerDialerOptions['node'],
  deadlines: { readonly attempts: number; readonly timeoutMs: number },
  failures: DialAttemptFailure[],
): Promise<PeerDialerOptions> {
  return {
    node,
    relay: multiaddr(`/ip4/127.0.0.1/tcp/9/ws/p2p/${await newPeerId()}`),
    webRTC: true,
    dialTimeoutMs: deadlines.timeoutMs,
    webRTCAttempts: deadlines.attempts,
    webRTCAttemptTimeoutMs: deadlines.timeoutMs,
    webRTCAttemptTimeoutMaxMs: deadlines.timeoutMs,
    backoff: { initialMs: 1, maxMs: 2, factor: 2 },
    link: {},
    onAttemptFailed: (failure) => failures.push(failure),
  }
}

describe('dialPeer tells of every failed attempt', () => {
  it('a WebRTC attempt that hangs times out naming the last step libp2p reported', async () => {
    const member = { peer: await newPeerId(), addrs: [] }
    const failures: DialAttemptFailure[] = []
    const node = hangingNode(['webrtc:send-sdp-offer', 'webrtc:add-ice-candidate'])
    const options = await dialerOptions(node, { attempts: 2, timeoutMs: 20 }, failures)
    const dialed = dialPeer(member, ['webrtc', 'relayed'], options, new AbortController().signal)
    await expect(dialed).rejects.toBeInstanceOf(DialError)
    expect(failures.map((f) => [f.route, f.attempt, f.peer])).toEqual([
      ['webrtc', 1, member.peer],
      ['webrtc', 2, member.peer],
      ['relayed', 1, member.peer],
    ])
    for (const { error } of failures) expect(error).toBeInstanceOf(TimeoutError)
    expect(failures[0]?.error.message).toMatch(/ran past its deadline at webrtc:add-ice-candidate$/)
  })

  it("libp2p's own dial timeout, before ours, is a TimeoutError naming the step too", async () => {
    const member = { peer: await newPeerId(), addrs: [] }
    const failures: DialAttemptFailure[] = []
    const node: PeerDialerOptions['node'] = {
      getConnections: () => [],
      dial: async (_addr, options) => {
        const onProgress = options?.onProgress as ((e: { type: string }) => void) | undefined
        onProgress?.({ type: 'webrtc:read-sdp-answer' })
        throw Object.assign(new Error('The operation was aborted'), { name: 'AbortError' })
      },
    }
    const options = await dialerOptions(node, { attempts: 1, timeoutMs: 5_000 }, failures)
    await expect(
      dialPeer(member, ['webrtc'], options, new AbortController().signal),
    ).rejects.toBeInstanceOf(DialError)
    expect(failures).toHaveLength(1)
    expect(failures[0]?.error).toBeInstanceOf(TimeoutError)
    expect(failures[0]?.error.message).toMatch(/at webrtc:read-sdp-answer$/)
  })
})
