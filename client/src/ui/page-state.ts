/**
 * body[data-state]: the stable hook tests and bots wait on. 'ended' (the server ended the call for good),
 * 'left' (we left) and 'error' (we could not join, or a rejoin was refused for good) are final for this
 * page: only a new page load starts another call. Late work of the call that just ended — a publish that
 * was still running, a state event of the closing session — must not make the page look alive again.
 */
export type PageState = 'idle' | 'joining' | 'joined' | 'reconnecting' | 'left' | 'ended' | 'error';

const FINAL: ReadonlySet<string> = new Set<PageState>(['left', 'ended', 'error']);

export function pageState(): string | undefined {
  return document.body.dataset.state;
}

/** Sets the page's state, unless the page is already in a final one. */
export function setPageState(state: PageState): void {
  const current = pageState();
  if (current !== undefined && FINAL.has(current)) return;
  document.body.dataset.state = state;
}
