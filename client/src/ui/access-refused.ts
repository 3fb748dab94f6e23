/**
 * What the page says when it cannot join: a refused access token gets words a person can act on (the
 * link is wrong or expired: ask for a new one), any other failure its message.
 */
import { ProtocolError } from '../lib';
import { h } from './dom';

/** body[data-state]=error and body[data-error]=<protocol error code>: the hooks tests wait on. */
export function showJoinFailure(root: HTMLElement, error: Error): void {
  document.body.dataset.state = 'error';
  if (error instanceof ProtocolError) document.body.dataset.error = error.code;
  const refused = error instanceof ProtocolError && error.code === 'unauthorized';
  const text = refused
    ? `This server admits only people with a valid access link, and yours was refused (${error.message}). Ask whoever invited you for a new link.`
    : `Could not join: ${error.message}`;
  root.replaceChildren(
    h('section', { class: 'join ended' }, [h('h1', { text: refused ? 'Access refused' : 'Could not join' }), h('p', { class: 'notice', role: 'alert', text })]),
  );
}
