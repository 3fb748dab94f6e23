/**
 * The call screen: header (room, invite link, connection state), the tile grid, the side panel
 * (participants, chat), the stats panel and the controls. It renders what the ConferenceSession reports
 * and turns button presses into session calls; all signalling and media logic lives in the library.
 */
import { ConferenceSession, ProtocolError, type ConnectionState, type MediaSource } from '../lib';
import { h } from './dom';
import { inviteLink, rejoinLink, type PageParams } from './params';
import { getCamera, getMicrophone, getScreen } from './local-media';
import type { JoinChoice } from './join-page';
import { TileGrid } from './tiles';
import { SidePanel } from './side-panel';
import { StatsPanel } from './stats-panel';
import { mediaProblemText } from './media-problem';
import { callEndedNotice } from './call-ended';
import { showJoinFailure } from './access-refused';

/** body[data-state]: the stable hook tests and bots wait on. */
function setPageState(state: 'idle' | 'joining' | 'joined' | 'reconnecting' | 'left'): void {
  document.body.dataset.state = state;
}

export async function startCall(root: HTMLElement, choice: JoinChoice, params: PageParams): Promise<void> {
  setPageState('joining');
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
  const session = new ConferenceSession({
    url,
    room: choice.room,
    displayName: choice.name,
    forceRelay: params.relay,
    ...(params.token ? { token: params.token } : {}),
  });
  (globalThis as { confero?: unknown }).confero = { session };

  const grid = new TileGrid((consumerId, layer) => void session.setPreferredLayers(consumerId, layer).catch(() => undefined));
  const side = new SidePanel((text) => void session.sendChat(text));
  const stats = new StatsPanel(() => session.statsSources());
  const state = h('span', { class: 'state', 'data-value': 'connecting', text: 'connecting…' });
  const banner = h('div', { class: 'banner', hidden: true, text: 'Reconnecting…' });
  // body[data-media] and this notice: media (ICE) can fail while signalling works, e.g. behind a firewall.
  const mediaNotice = h('div', { class: 'banner media-problem', role: 'alert', hidden: true });
  const copy = h('button', { text: 'Invite' });
  copy.addEventListener('click', () => void navigator.clipboard?.writeText(inviteLink(choice.room)).then(() => (copy.textContent = 'Copied')));

  const button = (action: string, label: string, onClick: () => void | Promise<void>): HTMLButtonElement => {
    const b = h('button', { 'data-action': action, text: label });
    b.addEventListener('click', () => void Promise.resolve(onClick()).catch((e: Error) => console.warn(action, e)));
    return b;
  };

  let micOn = false;
  let camOn = false;
  let sharing = false;
  const micButton = button('mic', 'Mic', async () => {
    micOn = !micOn;
    await session.setMuted('mic', !micOn);
    micButton.classList.toggle('off', !micOn);
  });
  const camButton = button('camera', 'Camera', async () => {
    camOn = !camOn;
    await session.setMuted('webcam', !camOn);
    camButton.classList.toggle('off', !camOn);
    grid.setLocalVideoOff(!camOn);
  });
  const screenButton = button('screen', 'Share screen', async () => {
    if (sharing) {
      await session.unpublish('screen');
    } else {
      const track = await getScreen();
      await session.publish(track, { source: 'screen', simulcast: false });
    }
    sharing = !sharing;
    screenButton.classList.toggle('primary', sharing);
  });
  const leaveButton = button('leave', 'Leave', async () => {
    await session.leave();
    stats.close();
    setPageState('left');
    root.replaceChildren(h('section', { class: 'join' }, [h('h1', { text: 'You left the call.' }), h('a', { href: rejoinLink(choice.room, params), text: 'Rejoin' })]));
  });
  leaveButton.classList.add('leave');

  root.replaceChildren(
    h('section', { class: 'call' }, [
      h('header', {}, [h('span', { class: 'room', text: choice.room }), copy, state]),
      h('div', { class: 'body' }, [grid.element, side.element]),
      h('nav', { class: 'controls' }, [
        micButton,
        camButton,
        screenButton,
        button('people', 'People & chat', () => side.toggle()),
        button('stats', 'Stats', () => stats.toggle()),
        leaveButton,
      ]),
    ]),
    stats.element,
    banner,
    mediaNotice,
  );

  session.on('connectionState', (value: ConnectionState) => {
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
  // What this peer's access lets it publish: a viewer link gets no mic, camera or screen button.
  let allowed: MediaSource[] = [];
  session.on('joined', ({ peerId, publishSources }) => {
    document.body.dataset.peerId = peerId;
    allowed = publishSources;
    micButton.hidden = !allowed.includes('mic');
    camButton.hidden = !allowed.includes('webcam');
    screenButton.hidden = !allowed.includes('screen');
  });
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
  // An admin muted (or unmuted) our mic or camera on the server: the buttons show what is now sent.
  session.on('adminMuted', ({ source, muted }) => {
    if (source === 'mic') {
      micOn = !muted;
      micButton.classList.toggle('off', !micOn);
    } else if (source === 'webcam') {
      camOn = !muted;
      camButton.classList.toggle('off', !camOn);
      grid.setLocalVideoOff(!camOn);
    }
  });
  session.on('activeSpeaker', ({ peerId }) => grid.setSpeaker(peerId));
  session.on('chat', (m) => side.addMessage(m.displayName, m.text, m.at));
  session.on('unpublished', ({ source }) => {
    if (source === 'screen') {
      sharing = false;
      screenButton.classList.remove('primary');
    }
  });
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
    document.body.dataset.state = 'ended';
    root.replaceChildren(callEndedNotice(reason, rejoinLink(choice.room, params)));
  });

  await session.join();

  // Publish after joining so a missing device does not keep anyone out of the call.
  if (params.audio && allowed.includes('mic')) {
    try {
      await session.publish(await getMicrophone(choice), { source: 'mic' });
      micOn = true;
    } catch (e) {
      console.warn('microphone unavailable', e);
    }
  }
  if (params.video && allowed.includes('webcam')) {
    try {
      const camera = await getCamera(choice);
      await session.publish(camera, { source: 'webcam', simulcast: params.simulcast });
      grid.setLocal(camera, choice.name);
      camOn = true;
    } catch (e) {
      console.warn('camera unavailable', e);
    }
  }
  micButton.classList.toggle('off', !micOn);
  camButton.classList.toggle('off', !camOn);
  setPageState('joined');
}
