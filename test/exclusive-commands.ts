/**
 * Vitest browser commands (they run in Node, shared by every browser
 * instance) giving tests a readers-writer lock across browsers. Chromium and
 * Firefox run in parallel; every browser test holds the `cpu` lock shared
 * (test/browser-setup.ts), and a test measuring main-thread time takes it
 * exclusively, so no other test of the suite runs while it measures. A
 * waiting writer holds back new readers. A hold is dropped after
 * `HOLD_MAX_MS`; a waiter gives up after `WAIT_MAX_MS`.
 */
import type { BrowserCommand, BrowserCommandContext } from 'vitest/node'

const HOLD_MAX_MS = 300_000
const WAIT_MAX_MS = 300_000

interface Lock {
  readonly readers: Map<string, ReturnType<typeof setTimeout>>
  writer: { holder: string; expiry: ReturnType<typeof setTimeout> } | undefined
  writersWaiting: number
  readonly waiters: (() => void)[]
}

const locks = new Map<string, Lock>()

function lock(name: string): Lock {
  let found = locks.get(name)
  if (found === undefined) {
    found = { readers: new Map(), writer: undefined, writersWaiting: 0, waiters: [] }
    locks.set(name, found)
  }
  return found
}

const holderOf = (context: BrowserCommandContext) => `${context.sessionId}:${context.testPath}`

function wakeAll(l: Lock): void {
  for (const wake of l.waiters.splice(0)) wake()
}

async function waitUntil(l: Lock, name: string, ready: () => boolean): Promise<void> {
  const deadline = Date.now() + WAIT_MAX_MS
  while (!ready()) {
    if (Date.now() > deadline) throw new Error(`waited ${WAIT_MAX_MS} ms for the ${name} lock`)
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 1000)
      l.waiters.push(() => {
        clearTimeout(timer)
        resolve()
      })
    })
  }
}

export const acquireShared: BrowserCommand<[name: string]> = async (context, name) => {
  const l = lock(name)
  const holder = holderOf(context)
  await waitUntil(l, name, () => l.writer === undefined && l.writersWaiting === 0)
  l.readers.set(
    holder,
    setTimeout(() => {
      l.readers.delete(holder)
      wakeAll(l)
    }, HOLD_MAX_MS),
  )
}

export const releaseShared: BrowserCommand<[name: string]> = (context, name) => {
  const l = lock(name)
  const holder = holderOf(context)
  clearTimeout(l.readers.get(holder))
  if (l.readers.delete(holder)) wakeAll(l)
}

export const acquireExclusive: BrowserCommand<[name: string]> = async (context, name) => {
  const l = lock(name)
  const holder = holderOf(context)
  l.writersWaiting += 1
  try {
    await waitUntil(l, name, () => l.writer === undefined && l.readers.size === 0)
  } finally {
    l.writersWaiting -= 1
  }
  l.writer = {
    holder,
    expiry: setTimeout(() => {
      l.writer = undefined
      wakeAll(l)
    }, HOLD_MAX_MS),
  }
}

export const releaseExclusive: BrowserCommand<[name: string]> = (context, name) => {
  const l = lock(name)
  if (l.writer?.holder !== holderOf(context)) return
  clearTimeout(l.writer.expiry)
  l.writer = undefined
  wakeAll(l)
}
