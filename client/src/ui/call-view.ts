/**
 * The call screen: header (room, invite link, connection state), the tile grid, the side panel
 * (participants, chat), the stats panel and the controls. It renders what the ConferenceSession reports
 * and turns button presses into session calls; all signalling and media logic lives in the library.
 *
 * startCall reads as its steps: open a session, lay out the screen, show what the session reports, join,
 * then publish our own media.
 */
import { ConferenceSession, ProtocolError, type MediaSource } from '../lib';
import { h } from './dom';
import { inviteLink, rejoinLink, type PageParams } from './params';
import { getCamera, getMicrophone } from './local-media';
import type { JoinChoice } from './join-page';
import { TileGrid } from './tiles';
import { SidePanel } from './side-panel';
import { StatsPanel } from './stats-panel';
import { CallControls } from './call-controls';
import { mediaProblemText } from './media-problem';
import { callEndedNotice } from './call-ended';
import { showJoinFailure } from './access-refused';
import { setPageState } from './page-state';

/** The parts of the call screen that session events update. */
interface CallScreen {
  root: HTMLElement;
  grid: TileGrid;
  side: SidePanel;
  stats: StatsPanel;
  controls: CallControls;
  /** Connection state in the header. */
  state: HTMLElement;
  /** 'Reconnecting…' */
  banner: HTMLElement;
  /** Media (ICE) can fail while signalling works, e.g. behind a firewall: body[data-media] and this notice say so. */
  mediaNotice: HTMLElement;
}

export async function startCall(root: HTMLElement, choice: JoinChoice, params: PageParams): Promise<void> {
  setPageState('joining');
  const session = openSession(choice, params);
  const screen = layOutCallScreen(root, session, choice, params);
  // What this peer's access lets it publish, from the join answer.
  let allowed: MediaSource[] = [];
  showConnection(session, screen);
  showRoom(session, screen, choice);
  showOwnMedia(session, screen);
  showEnd(session, screen, choice, params);
  session.on('joined', ({ peerId, publishSources }) => {
    document.body.dataset.peerId = peerId;
    allowed = publishSources;
    screen.controls.showAllowed(allowed);
  });
  // The page is 'joined' when the session is connected (its connectionState event), before publishing.
  await session.join();
  await publishOwnMedia(session, screen, choice, params, allowed);
}

function openSession(choice: JoinChoice, params: PageParams): ConferenceSession {
  const session = new ConferenceSession({
    url: `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`,
    room: choice.room,
    displayName: choice.name,
    forceRelay: params.relay,
    ...(params.token ? { token: params.token } : {}),
  });
  // For tests and troubleshooting from the console.
  (globalThis as { confero?: unknown }).confero = { session };
  return session;
}

function layOutCallScreen(root: HTMLElement, session: ConferenceSession, choice: JoinChoice, params: PageParams): CallScreen {
  const grid = new TileGrid((consumerId, layer) => void session.setPreferredLayers(consumerId, layer).catch(() => undefined));
  const side = new SidePanel((text) => void session.sendChat(text));
  const stats = new StatsPanel(() => session.statsSources());
  const controls = new CallControls(session, {
    cameraShown: (on) => grid.setLocalVideoOff(!on),
    togglePeople: () => side.toggle(),
    toggleStats: () => stats.toggle(),
    leave: async () => {
      await session.leave();
      stats.close();
      setPageState('left');
      root.replaceChildren(
        h('section', { class: 'join' }, [h('h1', { text: 'You left the call.' }), h('a', { href: rejoinLink(choice.room, params), text: 'Rejoin' })]),
      );
    },
  });
  const state = h('span', { class: 'state', 'data-value': 'connecting', text: 'connecting…' });
  const banner = h('div', { class: 'banner', hidden: true, text: 'Reconnecting…' });
  const mediaNotice = h('div', { class: 'banner media-problem', role: 'alert', hidden: true });
  const copy = h('button', { text: 'Invite' });
  copy.addEventListener('click', () => void navigator.clipboard?.writeText(inviteLink(choice.room)).then(() => (copy.textContent = 'Copied')));
  root.replaceChildren(
    h('section', { class: 'call' }, [
      h('header', {}, [h('span', { class: 'room', text: choice.room }), copy, state]),
      h('div', { class: 'body' }, [grid.element, side.element]),
      controls.element,
    ]),
    stats.element,
    banner,
    mediaNotice,
  );
  return { root, grid, side, stats, controls, state, banner, mediaNotice };
}

/** Signalling (connected, reconnecting…) in the header and the page state; media connectivity in its notice. */
function showConnection(session: ConferenceSession, { grid, state, banner, mediaNotice }: CallScreen): void {
  session.on('connectionState', (value) => {
    state.dataset.value = value;
    state.textContent = value;
    banner.hidden = value !== 'reconnecting';
    if (value === 'reconnecting') {
      grid.clearRemote();
      setPageState('reconnecting');
    }
    if (value === 'connected') setPageState('joined');
  });
  session.on('media', (media) => {
    document.body.dataset.media = media.state;
    if (media.state === 'failed') {
      mediaNotice.textContent = mediaProblemText(media, location.hostname);
      mediaNotice.hidden = false;
    } else if (media.state === 'connected') {
      mediaNotice.hidden = true;
    }
  });
}

/** The others: their names, tiles, tracks, mutes, the active speaker and chat. */
function showRoom(session: ConferenceSession, { grid, side }: CallScreen, choice: JoinChoice): void {
  session.on('peers', (peers) => {
    for (const p of peers) grid.setName(p.id, p.displayName);
    side.setPeople([{ id: document.body.dataset.peerId ?? 'me', name: choice.name, self: true }, ...peers.map((p) => ({ id: p.id, name: p.displayName }))]);
  });
  session.on('peerLeft', (p) => grid.removePeer(p.id));
  session.on('track', (t) => {
    if (t.kind === 'audio') {
      grid.addAudio(t.consumerId, t.peerId, t.track);
      if (t.source === 'mic') grid.setMicOff(t.peerId, t.paused);
    } else {
      grid.addVideo({ peerId: t.peerId, source: t.source }, t.consumerId, t.track, t.paused);
    }
  });
  session.on('trackEnded', (t) => {
    if (t.kind === 'audio') grid.removeAudio(t.consumerId);
    else grid.removeVideo({ peerId: t.peerId, source: t.source });
  });
  session.on('trackMuted', ({ consumerId, peerId, muted }) => {
    const source = session.sourceOfConsumer(consumerId);
    if (source === 'mic') grid.setMicOff(peerId, muted);
    else if (source) grid.setVideoPaused({ peerId, source }, muted);
  });
  session.on('activeSpeaker', ({ peerId }) => grid.setSpeaker(peerId));
  session.on('chat', (m) => side.addMessage(m.displayName, m.text, m.at));
}

/** What the server decided about our own media: an admin's mute, a share that ended. */
function showOwnMedia(session: ConferenceSession, { controls }: CallScreen): void {
  session.on('adminMuted', ({ source, muted }) => {
    if (source === 'mic') controls.showMic(!muted);
    else if (source === 'webcam') controls.showCamera(!muted);
  });
  session.on('unpublished', ({ source }) => {
    if (source === 'screen') controls.sharingStopped();
  });
}

/** The call ended for good (closed or removed by an admin, a duplicate identity), or a rejoin was refused for good. */
function showEnd(session: ConferenceSession, { root, stats }: CallScreen, choice: JoinChoice, params: PageParams): void {
  session.on('error', ({ context, error }) => {
    console.warn(`[confero] ${context}:`, error);
    // A rejoin refused for good (e.g. the access token expired meanwhile): say so instead of a dead call.
    if (context === 'reconnect' && error instanceof ProtocolError && error.code === 'unauthorized') {
      stats.close();
      showJoinFailure(root, error);
    }
  });
  session.on('ended', ({ reason }) => {
    stats.close();
    setPageState('ended');
    root.replaceChildren(callEndedNotice(reason, rejoinLink(choice.room, params)));
  });
}

/**
 * Microphone, then camera, after joining, so a missing device does not keep anyone out of the call. Each
 * button then shows what the session really sends (an admin may have muted the mic meanwhile). Stops as
 * soon as the session is no longer connected: an admin may close the room while the camera is still
 * starting, and the page must stay ended.
 */
async function publishOwnMedia(session: ConferenceSession, screen: CallScreen, choice: JoinChoice, params: PageParams, allowed: MediaSource[]): Promise<void> {
  const sending = (source: MediaSource): boolean => session.publications.some((p) => p.source === source && !p.muted);
  if (params.audio && allowed.includes('mic') && session.connectionState === 'connected') {
    try {
      await session.publish(await getMicrophone(choice), { source: 'mic' });
    } catch (e) {
      console.warn('microphone unavailable', e);
    }
  }
  screen.controls.showMic(sending('mic'));
  if (params.video && allowed.includes('webcam') && session.connectionState === 'connected') {
    try {
      const camera = await getCamera(choice);
      await session.publish(camera, { source: 'webcam', simulcast: params.simulcast });
      screen.grid.setLocal(camera, choice.name);
    } catch (e) {
      console.warn('camera unavailable', e);
    }
  }
  screen.controls.showCamera(sending('webcam'));
}
