/**
 * The join page: room and display name (prefilled from ?room= and ?name=), a camera preview, device
 * pickers and a copy-invite-link button. Resolves with what the call needs once the user joins.
 */
import { h } from './dom';
import { inviteLink, type PageParams } from './params';
import { getCamera, getMicrophone, listDevices, type DeviceChoice } from './local-media';
import { watchLevel } from './mic-meter';

export interface JoinChoice extends DeviceChoice {
  room: string;
  name: string;
}

const ROOM_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export function showJoinPage(root: HTMLElement, params: PageParams): Promise<JoinChoice> {
  return new Promise((resolve) => {
    const roomInput = h('input', { name: 'room', value: params.room ?? '', placeholder: 'team-standup', required: true, autocomplete: 'off' });
    const nameInput = h('input', { name: 'name', value: params.name ?? localStorage.getItem('confero:name') ?? '', placeholder: 'Your name', required: true });
    const cameraSelect = h('select', { name: 'camera' });
    const micSelect = h('select', { name: 'mic' });
    const preview = h('video', { class: 'preview', autoplay: true, muted: true, playsInline: true, 'data-preview': '1' });
    const meter = h('meter', { class: 'mic-meter', min: 0, max: 1, value: 0, title: 'microphone level', 'data-mic-meter': '1' });
    const error = h('p', { class: 'error' });
    const copy = h('button', { type: 'button', text: 'Copy invite link' });
    const form = h('form', {}, [
      h('label', {}, ['Room', roomInput]),
      h('label', {}, ['Your name', nameInput]),
      h('label', {}, ['Camera', cameraSelect]),
      h('label', {}, ['Microphone', micSelect, meter]),
      h('div', { class: 'row' }, [h('button', { type: 'submit', class: 'primary', text: 'Join' }), copy]),
      error,
    ]);
    root.replaceChildren(h('section', { class: 'join' }, [h('h1', { text: 'Confero' }), form, preview]));

    let previewTrack: MediaStreamTrack | undefined;
    let micTrack: MediaStreamTrack | undefined;
    let stopMeter = (): void => undefined;
    const startMicPreview = async (): Promise<void> => {
      stopMeter();
      micTrack?.stop();
      if (!params.audio) return;
      try {
        micTrack = await getMicrophone({ micId: micSelect.value || undefined });
        stopMeter = watchLevel(micTrack, (level) => (meter.value = level));
      } catch (e) {
        error.textContent = `Microphone unavailable: ${(e as Error).message}`;
      }
    };
    const startPreview = async (): Promise<void> => {
      previewTrack?.stop();
      if (!params.video) return;
      try {
        previewTrack = await getCamera({ cameraId: cameraSelect.value || undefined });
        preview.srcObject = new MediaStream([previewTrack]);
      } catch (e) {
        error.textContent = `Camera unavailable: ${(e as Error).message}`;
      }
    };
    void (async () => {
      await startPreview();
      await startMicPreview();
      // Device labels are only visible once a permission was granted, hence after the preview.
      const { cameras, mics } = await listDevices().catch(() => ({ cameras: [], mics: [] }));
      cameraSelect.replaceChildren(...cameras.map((d, i) => h('option', { value: d.deviceId, text: d.label || `Camera ${i + 1}` })));
      micSelect.replaceChildren(...mics.map((d, i) => h('option', { value: d.deviceId, text: d.label || `Microphone ${i + 1}` })));
    })();
    cameraSelect.addEventListener('change', () => void startPreview());
    micSelect.addEventListener('change', () => void startMicPreview());

    copy.addEventListener('click', () => {
      const room = roomInput.value.trim();
      if (!ROOM_PATTERN.test(room)) {
        error.textContent = 'Pick a room name first (letters, digits, - _ .).';
        return;
      }
      void navigator.clipboard?.writeText(inviteLink(room)).then(
        () => (copy.textContent = 'Link copied'),
        () => (error.textContent = inviteLink(room)),
      );
    });

    const submit = (): void => {
      const room = roomInput.value.trim();
      const name = nameInput.value.trim();
      if (!ROOM_PATTERN.test(room)) {
        error.textContent = 'Room names use letters, digits, - _ . (up to 64).';
        return;
      }
      if (!name || name.length > 64) {
        error.textContent = 'Enter a name (up to 64 characters).';
        return;
      }
      localStorage.setItem('confero:name', name);
      previewTrack?.stop();
      stopMeter();
      micTrack?.stop();
      resolve({ room, name, cameraId: cameraSelect.value || undefined, micId: micSelect.value || undefined });
    };
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      submit();
    });
  });
}
