/**
 * The composer's settings: provider and model (from the server's list, or
 * what the open conversation uses), the ticked tools and the thinking
 * switch (both kept in this browser, see prefs.ts).
 */
import { h } from './dom.js';
import { prefs } from './prefs.js';

export interface Provider {
  id: string;
  name: string;
  defaultModel: string;
  models: string[];
}
export interface Tool {
  name: string;
  description: string;
}
interface Elements {
  provider: HTMLSelectElement;
  model: HTMLSelectElement;
  tools: HTMLElement;
  thinking: HTMLInputElement;
}
type ConversationSettings = { provider: { id: string } | null; model: string | null; thinkingEnabled: boolean };

export class Settings {
  private providers: Provider[] = [];
  /** The user changed provider or model since the conversation was opened. */
  changed = false;

  constructor(private readonly ui: Elements) {
    ui.tools.addEventListener('change', () => prefs.setTools(this.enabledTools()));
    ui.thinking.addEventListener('change', () => prefs.setThinking(ui.thinking.checked));
    ui.provider.addEventListener('change', () => {
      this.fillModels(this.providers.find((p) => p.id === ui.provider.value));
      this.changed = true;
    });
    ui.model.addEventListener('change', () => (this.changed = true));
  }

  /** Draws the server's providers and tools; ticks the tools last chosen here. */
  fill(providers: Provider[], tools: Tool[]) {
    this.providers = providers;
    this.ui.provider.replaceChildren(...providers.map((p) => h('option', { value: p.id }, p.name)));
    this.show();
    const ticked = new Set(prefs.tools() ?? []);
    this.ui.tools.replaceChildren(
      ...tools.map((tool) => {
        const box = h('input', { type: 'checkbox', name: 'tool', value: tool.name });
        box.checked = ticked.has(tool.name);
        return h('label', { class: 'tool', title: tool.description }, box, tool.name);
      }),
    );
  }

  /** Shows a conversation's settings (or the defaults for a new one). */
  show(conversation?: ConversationSettings) {
    const provider = this.providers.find((p) => p.id === conversation?.provider?.id) ?? this.providers[0];
    this.ui.provider.value = provider?.id ?? '';
    this.fillModels(provider, conversation?.model);
    // The switch as the user last set it wins: it is sent with every message anyway.
    this.ui.thinking.checked = prefs.thinking() ?? conversation?.thinkingEnabled ?? false;
    this.changed = false;
  }

  /** The chosen provider and model (null: the server's default). */
  selection() {
    return { providerId: this.ui.provider.value || null, model: this.ui.model.value || null };
  }

  get thinking(): boolean {
    return this.ui.thinking.checked;
  }

  enabledTools(): string[] {
    return [...this.ui.tools.querySelectorAll<HTMLInputElement>('input[name=tool]:checked')].map((box) => box.value);
  }

  private fillModels(provider: Provider | undefined, selected?: string | null) {
    const models = provider ? [...new Set([provider.defaultModel, ...provider.models])] : [];
    this.ui.model.replaceChildren(...models.map((m) => h('option', { value: m }, m)));
    this.ui.model.value = selected && models.includes(selected) ? selected : (provider?.defaultModel ?? '');
    if (selected && !models.includes(selected)) {
      this.ui.model.append(h('option', { value: selected }, selected));
      this.ui.model.value = selected;
    }
  }
}
