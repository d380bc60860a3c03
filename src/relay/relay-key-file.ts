/**
 * The relay's identity on disk, so its peer id (and so every browser's
 * circuit address through it) survives a restart. The file holds the
 * protobuf-encoded private key, is created with mode 0600, and is written to
 * a temporary name first and renamed, so a crash never leaves half a key.
 */
import { randomBytes } from 'node:crypto'
import { readFile, rename, writeFile } from 'node:fs/promises'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { KeyStoreError } from '../net/net-errors.js'

function isMissing(err: unknown): boolean {
  return err instanceof Error && 'code' in err && err.code === 'ENOENT'
}

/** Reads the key at `path`, or makes one and writes it there. */
export async function loadOrCreateKeyFile(path: string): Promise<PrivateKey> {
  let bytes: Uint8Array | undefined
  try {
    bytes = await readFile(path)
  } catch (err) {
    if (!isMissing(err)) {
      throw new KeyStoreError(`cannot read relay key file ${path}`, {
        cause: err,
        details: { path },
      })
    }
  }
  if (bytes !== undefined) {
    try {
      return privateKeyFromProtobuf(bytes)
    } catch (err) {
      throw new KeyStoreError(`relay key file ${path} does not hold a libp2p private key`, {
        cause: err,
        details: { path, bytes: bytes.byteLength },
      })
    }
  }
  const key = await generateKeyPair('Ed25519')
  const temporary = `${path}.${randomBytes(4).toString('hex')}.tmp`
  try {
    await writeFile(temporary, privateKeyToProtobuf(key), { mode: 0o600, flag: 'wx' })
    await rename(temporary, path)
  } catch (err) {
    throw new KeyStoreError(`cannot write relay key file ${path}`, {
      cause: err,
      details: { path },
    })
  }
  return key
}
