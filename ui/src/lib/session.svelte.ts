// Who is signed in and the pending-upload count shown in the header.
import type { Staff } from './types';

export const session = $state({
  staff: null as Staff | null,
  pending: 0,
});
