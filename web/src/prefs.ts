/**
 * Choices kept in this browser across reloads: which tools are ticked and
 * the thinking switch. Written only when the user changes them, so a page
 * nobody touched leaves localStorage alone.
 */
const TOOLS_KEY = 'chat-run-server.tools';
const THINKING_KEY = 'chat-run-server.thinking';

function read(key: string): unknown {
  try {
    return JSON.parse(localStorage.getItem(key) ?? 'null');
  } catch {
    return null;
  }
}

export const prefs = {
  /** The tools last ticked, or null when never chosen. */
  tools(): string[] | null {
    const value = read(TOOLS_KEY);
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : null;
  },
  setTools(names: string[]) {
    localStorage.setItem(TOOLS_KEY, JSON.stringify(names));
  },
  /** The thinking switch as last set, or null when never set. */
  thinking(): boolean | null {
    const value = read(THINKING_KEY);
    return typeof value === 'boolean' ? value : null;
  },
  setThinking(on: boolean) {
    localStorage.setItem(THINKING_KEY, JSON.stringify(on));
  },
};
