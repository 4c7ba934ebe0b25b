import { describe, expect, it } from 'vitest';
import { nftLabel } from './nft';

describe('nftLabel', () => {
  it('shows a minted item with its chain and a short tx hash', () => {
    expect(
      nftLabel({ state: 'minted', chain: 'AssetHub', tx_hash: '0x1234567890abcdef1234' }),
    ).toBe('minted on AssetHub · tx 0x123456…1234');
  });
  it('shows retries and the last error code while pending', () => {
    expect(
      nftLabel({ state: 'pending', chain: 'AssetHub', attempts: 2, error_code: 'chain_unreachable' }),
    ).toBe('waiting to mint on AssetHub · 2 failed attempts (chain_unreachable)');
    expect(nftLabel({ state: 'pending' })).toBe('waiting to mint');
  });
  it('names the reason of a failure', () => {
    expect(nftLabel({ state: 'failed', error: 'collection taken' })).toBe(
      'mint failed: collection taken',
    );
  });
});
