// One line for an item's NFT state in the item detail.
import type { Nft } from './types';

function short(hash: string): string {
  return hash.length > 14 ? `${hash.slice(0, 8)}…${hash.slice(-4)}` : hash;
}

export function nftLabel(n: Nft): string {
  const chain = n.chain ? ` on ${n.chain}` : '';
  switch (n.state) {
    case 'minted':
      return n.tx_hash ? `minted${chain} · tx ${short(n.tx_hash)}` : `minted${chain}`;
    case 'pending': {
      const tries = n.attempts ? ` · ${n.attempts} failed attempt${n.attempts === 1 ? '' : 's'}` : '';
      const why = n.error_code ? ` (${n.error_code})` : '';
      return `waiting to mint${chain}${tries}${why}`;
    }
    case 'failed':
      return `mint failed${chain}: ${n.error ?? n.error_code ?? 'unknown reason'}`;
    default:
      return 'not minted';
  }
}
