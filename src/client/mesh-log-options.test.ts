import { describe, expect, it } from 'vitest'
import { InvalidArgumentError } from '../core/errors.js'
import {
  CALL_TIMEOUT_MS_DEFAULT,
  resolveMeshLogOptions,
  resolveOpenOptions,
  slotNames,
  WATCHDOG_DEFAULTS,
} from './mesh-log-options.js'

function refusal(run: () => unknown): InvalidArgumentError {
  try {
    run()
  } catch (error) {
    if (error instanceof InvalidArgumentError) return error
    throw error
  }
  throw new Error('expected InvalidArgumentError')
}

describe('MeshLog options', () => {
  it('have defaults for everything', () => {
    expect(resolveMeshLogOptions({})).toMatchObject({
      namespace: 'meshlog',
      slot: undefined,
      maxSlots: 32,
      tabLinks: {},
      callTimeoutMs: CALL_TIMEOUT_MS_DEFAULT,
      watchdog: WATCHDOG_DEFAULTS,
    })
    expect(resolveMeshLogOptions({ tabLinks: false }).tabLinks).toBeUndefined()
    expect(resolveMeshLogOptions({ watchdog: { pingTimeoutMs: 50 } }).watchdog).toEqual({
      ...WATCHDOG_DEFAULTS,
      pingTimeoutMs: 50,
    })
  })

  it('sign entries by default, unless the caller brings its own peer id', () => {
    expect(resolveMeshLogOptions({}).signEntries).toBe(true)
    expect(resolveMeshLogOptions({ signEntries: false }).signEntries).toBe(false)
    expect(resolveMeshLogOptions({ peerId: 'peer-a' }).signEntries).toBe(false)
    expect(
      refusal(() => resolveMeshLogOptions({ peerId: 'peer-a', signEntries: true })).details,
    ).toMatchObject({ option: 'signEntries' })
    expect(
      refusal(() => resolveMeshLogOptions({ signEntries: 'yes' as never })).details,
    ).toMatchObject({ option: 'signEntries', value: '"yes"' })
  })

  it('sign up to 32 writes with one signature by default, 1 to 256 if asked', () => {
    expect(resolveMeshLogOptions({}).signatureGroupSize).toBe(32)
    expect(resolveMeshLogOptions({ signatureGroupSize: 1 }).signatureGroupSize).toBe(1)
    for (const signatureGroupSize of [0, 257, 2.5, '8' as never]) {
      expect(refusal(() => resolveMeshLogOptions({ signatureGroupSize })).details).toMatchObject({
        option: 'signatureGroupSize',
      })
    }
  })

  it('name the offending option in the error details', () => {
    const cases: [object, string][] = [
      [{ namespace: '' }, 'namespace'],
      [{ namespace: 'a/b' }, 'namespace'],
      [{ maxSlots: 0 }, 'maxSlots'],
      [{ slot: 32 }, 'slot'],
      [{ slot: 1.5 }, 'slot'],
      [{ peerId: 'a\nb' }, 'peerId'],
      [{ heartbeatMs: 5 }, 'heartbeatMs'],
      [{ callTimeoutMs: 0 }, 'callTimeoutMs'],
      [{ timeoutMs: -5 }, 'timeoutMs'],
      [{ slotWaitMs: Number.POSITIVE_INFINITY }, 'slotWaitMs'],
      [{ tabLinks: { heartbeatMs: 0 } }, 'tabLinks.heartbeatMs'],
      [{ watchdog: { pingIntervalMs: -1 } }, 'watchdog.pingIntervalMs'],
      [{ watchdog: { maxRestarts: 101 } }, 'watchdog.maxRestarts'],
      [{ createWorker: 'worker.js' }, 'createWorker'],
    ]
    for (const [options, option] of cases) {
      expect(refusal(() => resolveMeshLogOptions(options as never)).details, option).toMatchObject({
        option,
      })
    }
  })

  it('validate a channel’s replica set and settings', () => {
    expect(resolveOpenOptions({ replicaSet: ['a', 'b'], heartbeatMs: 200 })).toEqual({
      replicaSet: ['a', 'b'],
      heartbeatMs: 200,
    })
    expect(refusal(() => resolveOpenOptions({ replicaSet: [] })).details).toMatchObject({
      option: 'replicaSet',
    })
    expect(refusal(() => resolveOpenOptions({ replicaSet: ['a', ''] })).details).toMatchObject({
      index: 1,
    })
    expect(
      refusal(() => resolveOpenOptions({ replicaSet: ['a'], bandwidthClass: 'turbo' as never }))
        .details,
    ).toMatchObject({ option: 'bandwidthClass' })
    expect(
      refusal(() => resolveOpenOptions({ replicaSet: ['a'], diskPressurePolicy: 'panic' as never }))
        .details,
    ).toMatchObject({ option: 'diskPressurePolicy' })
  })

  it('take a room replica set only with the mesh, and bound the leader budget', () => {
    expect(refusal(() => resolveOpenOptions({ replicaSet: 'room' })).details).toMatchObject({
      option: 'replicaSet',
    })
    expect(resolveOpenOptions({ replicaSet: 'room' }, () => ['me', 'you'])).toEqual({
      replicaSet: ['me', 'you'],
    })
    expect(
      resolveOpenOptions({ replicaSet: ['a'], peakBytesPerSecond: 50_000_000 }).peakBytesPerSecond,
    ).toBe(50_000_000)
    expect(
      refusal(() => resolveOpenOptions({ replicaSet: ['a'], peakBytesPerSecond: 0 })).details,
    ).toMatchObject({ option: 'peakBytesPerSecond' })
  })

  it('check the mesh option and refuse a peerId beside it', () => {
    expect(refusal(() => resolveMeshLogOptions({ mesh: {} as never })).details).toMatchObject({
      option: 'mesh',
    })
    expect(
      refusal(() => resolveMeshLogOptions({ mesh: { relay: '/dns4/r/p2p/x' }, peerId: 'me' }))
        .details,
    ).toMatchObject({ option: 'peerId' })
    expect(resolveMeshLogOptions({ mesh: { relay: '/dns4/r/p2p/x', room: 'r' } }).mesh).toEqual({
      relay: '/dns4/r/p2p/x',
      room: 'r',
    })
  })

  it('derive every name from the namespace', () => {
    expect(slotNames('app', 3)).toEqual({
      lockPrefix: 'app-slot-',
      slotName: 'app-slot-3',
      databaseName: 'app-slot-3',
      identityDatabaseName: 'app-identity',
      keyDatabaseName: 'app-keys',
      tabChannelName: 'app-tabs',
      sessionKey: 'app:slots',
    })
  })
})
