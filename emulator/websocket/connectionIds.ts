import { randomBytes } from 'node:crypto';

const ID_BYTES = 16;
const POOL_IDS = 256;

/**
 * Random connection ids (22 base64url characters, 128 bits). Entropy is drawn in batches: one
 * `randomBytes` call per 256 ids instead of one per connection keeps the connect path cheap.
 */
export function createConnectionIdGenerator(): () => string {
  let pool = randomBytes(ID_BYTES * POOL_IDS);
  let offset = 0;
  return () => {
    if (offset === pool.length) {
      pool = randomBytes(ID_BYTES * POOL_IDS);
      offset = 0;
    }
    const id = pool.toString('base64url', offset, offset + ID_BYTES);
    offset += ID_BYTES;
    return id;
  };
}
