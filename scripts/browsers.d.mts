import type { LaunchOptions } from 'playwright'

export const CHROMIUM_CANDIDATES: string[]
export const FIREFOX_CANDIDATES: string[]
export const CHROMIUM_ARGS: string[]
export const FIREFOX_PREFS: Record<string, string | number | boolean>
export function chromiumPath(): string | undefined
export function firefoxPath(): string | undefined
export function chromiumLaunchOptions(): LaunchOptions
export function firefoxLaunchOptions(): LaunchOptions
export const WEBKIT_DRIVER_CANDIDATES: string[]
export const WEBKIT_BROWSER_CANDIDATES: string[]
export const XVFB_CANDIDATES: string[]
export function webkitDriverPath(): string | undefined
export function webkitBrowserPath(): string | undefined
export function xvfbPath(): string | undefined
