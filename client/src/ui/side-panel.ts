/** Participants list and chat, side by side with the grid (a drawer on phones). */
import { h } from './dom';

export class SidePanel {
  readonly element = h('aside', { class: 'side', hidden: true });
  readonly #people = h('ul', { class: 'people', 'data-participants': '1' });
  readonly #messages = h('div', { class: 'messages', 'data-chat': '1' });
  readonly #input = h('input', { name: 'chat', placeholder: 'Message everyone', autocomplete: 'off', maxLength: 2000 });

  constructor(send: (text: string) => void) {
    const form = h('form', { class: 'chat-form' }, [this.#input, h('button', { type: 'submit', text: 'Send' })]);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const text = this.#input.value.trim();
      if (!text) return;
      send(text);
      this.#input.value = '';
    });
    this.element.append(
      h('div', {}, [h('h2', { text: 'Participants' }), this.#people]),
      h('div', { class: 'messages-wrap' }, [h('h2', { text: 'Chat' }), this.#messages]),
      form,
    );
  }

  toggle(): void {
    this.element.hidden = !this.element.hidden;
  }

  setPeople(people: { id: string; name: string; self?: boolean }[]): void {
    this.#people.replaceChildren(...people.map((p) => h('li', { 'data-peer-id': p.id, text: p.self ? `${p.name} (you)` : p.name })));
  }

  addMessage(from: string, text: string, at: number): void {
    const time = new Date(at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
    this.#messages.append(h('p', { title: time }, [h('span', { class: 'from', text: from }), text]));
    this.#messages.scrollTop = this.#messages.scrollHeight;
  }
}
