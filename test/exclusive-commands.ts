/**
 * Vitest browser commands (they run in Node, shared by every browser
 * instance) giving tests a named mutex across browsers. Chromium and Firefox
 * run in parallel; a test measuring main-thread time on a small machine
 * holds `cpu` so the other browser's heavy test does not run at the same
 * moment and preempt it. A holder that never releases loses the lock after
 * `HOLD_MAX_MS`; a waiter gives up after `WAIT_MAX_MS`.
 */
import type { BrowserCommand } from 'vitest/node'

const HOLD_MAX_MS = 180_000
const WAIT_MAX_MS = 240_000

interface Mutex {
  holder: string | undefined
  expiry: ReturnType<typeof setTimeout> | undefined
  readonly waiters: (() => void)[]
}

const mutexes = new Map<string, Mutex>()

function mutex(name: string): Mutex {
  let found = mutexes.get(name)
  if (found === undefined) {
    found = { holder: undefined, expiry: undefined, waiters: [] }
    mutexes.set(name, found)
  }
  return found
}

function release(name: string, holder: string): void {
  const m = mutex(name)
  if (m.holder !== holder) return
  clearTimeout(m.expiry)
  m.holder = undefined
  m.waiters.shift()?.()
}

export const acquireExclusive: BrowserCommand<[name: string]> = async (context, name) => {
  const m = mutex(name)
  const holder = `${context.sessionId}:${context.testPath}`
  if (m.holder !== undefined) {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        m.waiters.splice(m.waiters.indexOf(wake), 1)
        reject(new Error(`waited ${WAIT_MAX_MS} ms for the ${name} lock`))
      }, WAIT_MAX_MS)
      const wake = () => {
        clearTimeout(timer)
        resolve()
      }
      m.waiters.push(wake)
    })
  }
  m.holder = holder
  m.expiry = setTimeout(() => release(name, holder), HOLD_MAX_MS)
}

export const releaseExclusive: BrowserCommand<[name: string]> = (context, name) => {
  release(name, `${context.sessionId}:${context.testPath}`)
}
