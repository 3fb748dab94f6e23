/** Query switches for testing and troubleshooting, read once from the page URL. */
export interface PageParams {
  room: string | undefined;
  name: string | undefined;
  /** ?token= — an access token for servers that require one (the join link `npm run token` prints). */
  token: string | undefined;
  /** ?relay=1 — force TURN (iceTransportPolicy 'relay'). */
  relay: boolean;
  /** ?simulcast=0 — send one video layer. */
  simulcast: boolean;
  /** ?video=0 / ?audio=0 — join without camera / microphone. */
  video: boolean;
  audio: boolean;
}

export function readParams(search = location.search): PageParams {
  const q = new URLSearchParams(search);
  const flag = (key: string, fallback: boolean): boolean => {
    const value = q.get(key);
    if (value === null) return fallback;
    return !['0', 'false', 'no', 'off'].includes(value.toLowerCase());
  };
  return {
    room: q.get('room')?.trim() || undefined,
    name: q.get('name')?.trim() || undefined,
    token: q.get('token')?.trim() || undefined,
    relay: flag('relay', false),
    simulcast: flag('simulcast', true),
    video: flag('video', true),
    audio: flag('audio', true),
  };
}

/** The link others open to join the same room (keeps test switches and our personal token out of it). */
export function inviteLink(room: string): string {
  const url = new URL(location.href);
  url.search = new URLSearchParams({ room }).toString();
  return url.toString();
}

/** The link that brings this user back into the room: the invite link, plus our own token and name. */
export function rejoinLink(room: string, params: Pick<PageParams, 'name' | 'token'>): string {
  const url = new URL(inviteLink(room));
  if (params.token) {
    url.searchParams.set('token', params.token);
    if (params.name) url.searchParams.set('name', params.name);
  }
  return url.toString();
}
