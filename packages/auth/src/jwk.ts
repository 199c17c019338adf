/**
 * A JSON Web Key (RFC 7517), as the auth package takes and returns it. Defined here rather than
 * re-exported from `jose` so the declarations stand alone: `jose` ships ESM-only types, which a
 * CommonJS TypeScript project (`module: node16`) cannot import.
 */
export interface Jwk {
  /** Key type: `RSA`, `EC`, `OKP` or `oct`. */
  kty?: string;
  /** Key id. */
  kid?: string;
  /** The algorithm the key is meant for, for example `RS256` or `RSA-OAEP-256`. */
  alg?: string;
  /** `sig` or `enc`. */
  use?: string;
  /** The operations the key may be used for. */
  key_ops?: string[];
  /** Whether the key may be exported (Web Crypto). */
  ext?: boolean;
  /** RSA modulus. */
  n?: string;
  /** RSA public exponent. */
  e?: string;
  /** RSA private exponent, or the private key of an EC/OKP key. */
  d?: string;
  /** RSA first prime factor. */
  p?: string;
  /** RSA second prime factor. */
  q?: string;
  /** RSA first factor CRT exponent. */
  dp?: string;
  /** RSA second factor CRT exponent. */
  dq?: string;
  /** RSA first CRT coefficient. */
  qi?: string;
  /** EC/OKP curve. */
  crv?: string;
  /** EC/OKP x coordinate or public key. */
  x?: string;
  /** EC y coordinate. */
  y?: string;
  /** Symmetric key value. */
  k?: string;
  /** X.509 certificate chain. */
  x5c?: string[];
  /** Any other member. */
  [member: string]: unknown;
}
