/** Why a bundle was refused: one reason code per check, and a one-line message naming the fix. */
import { EdgerunError } from '../errors.js';

/**
 * Reason codes (stable: the gateway reports them over HTTP and MQTT, `flash` prints them):
 *   format       not a bundle: bad container, manifest not canonical JSON, schema violation
 *   too-large    bigger than the receiver's cap (bundle, manifest or module)
 *   truncated    the bytes end before the container says they do
 *   unknown-key  no signature by a trusted key
 *   signature    a signature by a trusted key does not verify (tampered manifest)
 *   hash         the module's sha256 or size differs from the manifest (tampered module)
 *   expired      past the manifest's expiry
 *   name         the manifest names another model than the one being installed
 *   downgrade    version lower than the installed one (anti-rollback, replay of an old bundle)
 *   exists       this version is installed, from another bundle
 *   memory       the module needs more linear memory than the gateway's --memory-limit
 *   features     the module needs WebAssembly features the gateway's runtime lacks
 *   module       the module is not a valid edgerun module, or disagrees with its manifest
 *   self-test    the module does not reproduce its manifest's self-test output
 *   io           the receiver could not read or write (disk, connection)
 */
export type RefusalReason =
  | 'format' | 'too-large' | 'truncated' | 'unknown-key' | 'signature' | 'hash' | 'expired' | 'name'
  | 'downgrade' | 'exists' | 'memory' | 'features' | 'module' | 'self-test' | 'io';

export class BundleError extends EdgerunError {
  override readonly exitCode: number;
  constructor(readonly reason: RefusalReason, message: string) {
    super(message);
    this.exitCode = reason === 'memory' ? 3 : 2;
  }
}
