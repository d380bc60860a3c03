import { describe, expect, it } from 'vitest'
import { type PeerId, peerId } from '../core/log/ids.js'
import { REPLICA_SET_MAX } from './mesh-log-options.js'
import { RoomReplicaSet, type SmallStorage } from './room-replica-set.js'

const SELF = peerId('self')
const A = peerId('a')
const B = peerId('b')

function memoryStorage(): SmallStorage & { map: Map<string, string> } {
  const map = new Map<string, string>()
  return {
    map,
    getItem: (k) => map.get(k) ?? null,
    setItem: (k, v) => {
      map.set(k, v)
    },
  }
}

describe('a room replica set grows with the members seen', () => {
  it('starts with this peer alone and adds every member seen', () => {
    const set = new RoomReplicaSet(SELF, 'room')
    expect(set.peers).toEqual([SELF])
    expect(set.see([B, SELF])).toBe(true)
    expect(set.see([A])).toBe(true)
    expect(set.peers).toEqual([SELF, A, B])
  })

  it('keeps peers that left, and reports no change when nothing is new', () => {
    const set = new RoomReplicaSet(SELF, 'room')
    set.see([A, B])
    expect(set.see([])).toBe(false)
    expect(set.see([A])).toBe(false)
    expect(set.peers).toEqual([SELF, A, B])
  })

  it('remembers the set across instances (a reload) through its storage', () => {
    const storage = memoryStorage()
    new RoomReplicaSet(SELF, 'meshlog-room-chat', storage).see([A, B])
    expect(new RoomReplicaSet(SELF, 'meshlog-room-chat', storage).peers).toEqual([SELF, A, B])
    expect(new RoomReplicaSet(SELF, 'meshlog-room-other', storage).peers).toEqual([SELF])
  })

  it('ignores garbage in storage', () => {
    const storage = memoryStorage()
    storage.map.set('k', '{"not":"a list"}')
    expect(new RoomReplicaSet(SELF, 'k', storage).peers).toEqual([SELF])
    storage.map.set('k', '["ok", 7, ""]')
    expect(new RoomReplicaSet(SELF, 'k', storage).peers).toEqual([SELF, peerId('ok')])
  })

  it(`holds at most ${REPLICA_SET_MAX} peers, dropping the longest unseen`, () => {
    const set = new RoomReplicaSet(SELF, 'room')
    const many: PeerId[] = Array.from({ length: REPLICA_SET_MAX + 5 }, (_, i) =>
      peerId(`p${String(i).padStart(3, '0')}`),
    )
    for (const p of many) set.see([p])
    expect(set.peers).toHaveLength(REPLICA_SET_MAX)
    expect(set.peers).not.toContain(many[0])
    expect(set.peers).toContain(many[many.length - 1])
  })
})
