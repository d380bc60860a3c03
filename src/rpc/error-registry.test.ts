import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { MeshlogError } from '../core/errors.js'
import { MESHLOG_ERROR_CLASSES } from './error-registry.js'
import { deserializeError, serializeError } from './error-transfer.js'

const SRC = join(import.meta.dirname, '..')

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    // The simulator's errors never cross the worker boundary (and it is not shipped).
    if (statSync(path).isDirectory()) return path.endsWith('/core/sim') ? [] : sources(path)
    return name.endsWith('.ts') && !name.endsWith('.test.ts') ? [path] : []
  })
}

const probe = (cls: (typeof MESHLOG_ERROR_CLASSES)[number]) =>
  new (cls as unknown as new (message: string) => MeshlogError)('probe')

describe('the error registry', () => {
  it('lists every MeshlogError subclass declared in src', () => {
    // Every class descending from MeshlogError, directly or through another error class.
    const bases = new Map<string, string>()
    for (const file of sources(SRC)) {
      for (const match of readFileSync(file, 'utf8').matchAll(/class (\w+) extends (\w+)/g)) {
        bases.set(match[1] as string, match[2] as string)
      }
    }
    const descends = (name: string): boolean => {
      for (let base = bases.get(name); base !== undefined; base = bases.get(base)) {
        if (base === 'MeshlogError') return true
      }
      return false
    }
    const declared = new Set([...bases.keys()].filter(descends))
    expect(declared.size).toBeGreaterThan(40)
    const registered = new Set(MESHLOG_ERROR_CLASSES.map((cls) => probe(cls).name))
    expect([...declared].filter((name) => !registered.has(name))).toEqual([])
  })

  it('gives every class its own stable name and code, and each crosses back as itself', () => {
    const byName = new Map(MESHLOG_ERROR_CLASSES.map((cls) => [probe(cls).name, cls]))
    const codes = new Set(MESHLOG_ERROR_CLASSES.map((cls) => probe(cls).code))
    expect(byName.size).toBe(MESHLOG_ERROR_CLASSES.length)
    expect(codes.size).toBe(MESHLOG_ERROR_CLASSES.length)
    for (const cls of MESHLOG_ERROR_CLASSES) {
      const original = probe(cls)
      const back = deserializeError(
        structuredClone(serializeError(original) as NonNullable<ReturnType<typeof serializeError>>),
        byName,
      )
      expect(back).toBeInstanceOf(cls)
      expect(back).toMatchObject({ name: original.name, code: original.code })
    }
  })
})
