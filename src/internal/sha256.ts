import { sha256 } from '@noble/hashes/sha2';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils';

// SHA-256 without node:crypto, synchronous (Web Crypto's digest is async), so content hashes and
// revisions are checked the same way in Node, edge runtimes and browsers.

/** Hex SHA-256 of a string's UTF-8 bytes. */
export function sha256Hex(text: string): string {
  return bytesToHex(sha256(utf8ToBytes(text)));
}

/** An incremental SHA-256 over byte chunks (a response body as it streams). */
export function sha256Stream(): { update(chunk: Uint8Array): void; hex(): string } {
  const h = sha256.create();
  return {
    update: (chunk) => void h.update(chunk),
    hex: () => bytesToHex(h.digest()),
  };
}
