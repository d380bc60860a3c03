import type { LaunchOptions } from 'playwright'

export const CHROMIUM_CANDIDATES: string[]
export const FIREFOX_CANDIDATES: string[]
export const CHROMIUM_ARGS: string[]
export const FIREFOX_PREFS: Record<string, string | number | boolean>
export function chromiumPath(): string | undefined
export function firefoxPath(): string | undefined
export function chromiumLaunchOptions(): LaunchOptions
export function firefoxLaunchOptions(): LaunchOptions
