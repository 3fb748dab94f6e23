/**
 * What the page shows when the server ended the call for good (an admin closed the room or removed us, or
 * our identity joined elsewhere): a plain notice instead of a reconnecting banner, since rejoining on our
 * own is not the way back.
 */
import type { EndReason } from '../lib';
import { h } from './dom';

const TEXT: Record<EndReason, string> = {
  closed_by_admin: 'The call was ended by an admin.',
  removed_by_admin: 'An admin removed you from the call.',
  duplicate_identity: 'You joined this call from another tab or device, so this one left.',
};

export function callEndedNotice(reason: EndReason, rejoinLink: string): HTMLElement {
  return h('section', { class: 'join ended', role: 'alert', 'data-reason': reason }, [
    h('h1', { text: TEXT[reason] }),
    h('a', { href: rejoinLink, text: 'Back to the start' }),
  ]);
}
