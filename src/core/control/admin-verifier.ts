/**
 * The signature check is injected: tests use a fake, production will verify
 * Ed25519 against the mesh's admin keys. A verifier may answer synchronously
 * or asynchronously (WebCrypto is async); the loop bounds an async answer
 * with a deadline so a stuck verifier cannot wedge it.
 */
import type { SignedAdminCommit } from './admin-commands.js'

export type AdminVerdict =
  | { readonly ok: true }
  | { readonly ok: false; readonly kind: string; readonly message: string }

export interface AdminVerifyRequest {
  readonly commit: SignedAdminCommit
  /** `adminCommitSigningPayload(commit.command, commit.issuedAtMs, commit.signer)`. */
  readonly payload: Uint8Array
  /** Wall clock now, for freshness checks against `commit.issuedAtMs`. */
  readonly nowWallMs: number
}

export interface AdminVerifier {
  verify(request: AdminVerifyRequest): AdminVerdict | Promise<AdminVerdict>
}
