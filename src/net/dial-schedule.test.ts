import { describe, expect, it } from 'vitest'
import { type DialSituation, nextDialDelay } from './dial-schedule.js'

const policy = {
  peerBackoff: { initialMs: 100, maxMs: 1_000, factor: 2 },
  upgradeBackoff: { initialMs: 5_000, maxMs: 60_000, factor: 2 },
  acceptGraceMs: 20_000,
}
const fixed = () => 1
const situation = (overrides: Partial<DialSituation>): DialSituation => ({
  designatedDialer: true,
  linkKind: undefined,
  webRTCPossible: true,
  failures: 0,
  upgradeFailures: 0,
  ...overrides,
})

describe('when a member is dialled next', () => {
  it('the designated dialer dials at once, then backs off per failure', () => {
    expect(nextDialDelay(situation({}), policy, fixed)).toBe(0)
    expect(nextDialDelay(situation({ failures: 1 }), policy, fixed)).toBe(100)
    expect(nextDialDelay(situation({ failures: 3 }), policy, fixed)).toBe(400)
    expect(nextDialDelay(situation({ failures: 30 }), policy, fixed)).toBe(1_000)
  })

  it('the other side waits the grace period before dialling itself', () => {
    expect(nextDialDelay(situation({ designatedDialer: false }), policy, fixed)).toBe(20_000)
    expect(nextDialDelay(situation({ designatedDialer: false, failures: 1 }), policy, fixed)).toBe(
      20_100,
    )
  })

  it('a relayed link is upgraded to WebRTC by the designated dialer, with its own backoff', () => {
    expect(nextDialDelay(situation({ linkKind: 'relayed' }), policy, fixed)).toBe(0)
    expect(
      nextDialDelay(situation({ linkKind: 'relayed', upgradeFailures: 2 }), policy, fixed),
    ).toBe(10_000)
    expect(
      nextDialDelay(situation({ linkKind: 'relayed', designatedDialer: false }), policy, fixed),
    ).toBeUndefined()
    expect(
      nextDialDelay(situation({ linkKind: 'relayed', webRTCPossible: false }), policy, fixed),
    ).toBeUndefined()
  })

  it('a WebRTC or WebSocket link needs nothing', () => {
    expect(nextDialDelay(situation({ linkKind: 'webrtc' }), policy, fixed)).toBeUndefined()
    expect(nextDialDelay(situation({ linkKind: 'websocket' }), policy, fixed)).toBeUndefined()
  })
})
