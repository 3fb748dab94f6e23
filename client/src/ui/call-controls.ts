/**
 * The call's control bar: mic, camera, screen share, people & chat, stats, leave. The buttons show what
 * is being sent (class `off` on mic/camera, `primary` while sharing) and turn presses into session calls;
 * what the server decides (an admin mute, a share ended elsewhere) is shown through the same setters.
 */
import type { ConferenceSession, MediaSource } from '../lib';
import { h } from './dom';
import { getScreen } from './local-media';

export interface ControlActions {
  /** Our camera was switched on or off: the local preview follows. */
  cameraShown(on: boolean): void;
  togglePeople(): void;
  toggleStats(): void;
  leave(): Promise<void>;
}

export class CallControls {
  readonly element: HTMLElement;
  readonly #mic: HTMLButtonElement;
  readonly #camera: HTMLButtonElement;
  readonly #screen: HTMLButtonElement;
  #micOn = false;
  #cameraOn = false;
  #sharing = false;

  constructor(
    private readonly session: ConferenceSession,
    private readonly actions: ControlActions,
  ) {
    this.#mic = button('mic', 'Mic', () => this.#setMic(!this.#micOn, true));
    this.#camera = button('camera', 'Camera', () => this.#setCamera(!this.#cameraOn, true));
    this.#screen = button('screen', 'Share screen', () => this.#toggleScreen());
    const leave = button('leave', 'Leave', () => actions.leave());
    leave.classList.add('leave');
    this.element = h('nav', { class: 'controls' }, [
      this.#mic,
      this.#camera,
      this.#screen,
      button('people', 'People & chat', () => actions.togglePeople()),
      button('stats', 'Stats', () => actions.toggleStats()),
      leave,
    ]);
  }

  /** A viewer link gets no mic, camera or screen button: only what this peer may publish is shown. */
  showAllowed(allowed: readonly MediaSource[]): void {
    this.#mic.hidden = !allowed.includes('mic');
    this.#camera.hidden = !allowed.includes('webcam');
    this.#screen.hidden = !allowed.includes('screen');
  }

  /** What is sent now (after publishing, or an admin's mute on the server). */
  showMic(on: boolean): void {
    void this.#setMic(on, false);
  }

  showCamera(on: boolean): void {
    void this.#setCamera(on, false);
  }

  /** The screen share ended without our button (the browser's own "stop sharing", or the server). */
  sharingStopped(): void {
    this.#sharing = false;
    this.#screen.classList.remove('primary');
  }

  async #setMic(on: boolean, tellServer: boolean): Promise<void> {
    this.#micOn = on;
    if (tellServer) await this.session.setMuted('mic', !on);
    this.#mic.classList.toggle('off', !on);
  }

  async #setCamera(on: boolean, tellServer: boolean): Promise<void> {
    this.#cameraOn = on;
    if (tellServer) await this.session.setMuted('webcam', !on);
    this.#camera.classList.toggle('off', !on);
    this.actions.cameraShown(on);
  }

  async #toggleScreen(): Promise<void> {
    if (this.#sharing) await this.session.unpublish('screen');
    else await this.session.publish(await getScreen(), { source: 'screen', simulcast: false });
    this.#sharing = !this.#sharing;
    this.#screen.classList.toggle('primary', this.#sharing);
  }
}

function button(action: string, label: string, onClick: () => void | Promise<void>): HTMLButtonElement {
  const b = h('button', { 'data-action': action, text: label });
  b.addEventListener('click', () => void Promise.resolve(onClick()).catch((e: Error) => console.warn(action, e)));
  return b;
}
