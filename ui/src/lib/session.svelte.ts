// Who is signed in, and the device's latest sync state shown in the header.
import type { Staff, SyncView } from './types';

export const session = $state({
  staff: null as Staff | null,
  pending: 0,
  sync: null as SyncView | null,
});
