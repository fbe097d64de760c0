/**
 * One streamed Markdown text on the page. Deltas are appended to the source
 * as they arrive, but the HTML is rebuilt at most once per animation frame:
 * parsing the whole answer per token would stall a long answer, and
 * rebuilding from the whole source (rather than patching) keeps half-finished
 * Markdown consistent, e.g. an unclosed ``` fence stays a code block until
 * it closes. Each code block gets a copy button.
 */
import { copyButton } from './copy.js';
import { markdownToHtml } from './markdown.js';
import { h } from './dom.js';

export class MarkdownView {
  private source = '';
  private frame: number | null = null;

  constructor(readonly el: HTMLElement) {}

  get text(): string {
    return this.source;
  }

  append(delta: string) {
    this.source += delta;
    this.frame ??= requestAnimationFrame(() => this.render());
  }

  /** Draws now (the answer ended, or the page needs the final text at once). */
  flush() {
    if (this.frame === null) return;
    cancelAnimationFrame(this.frame);
    this.render();
  }

  private render() {
    this.frame = null;
    this.el.innerHTML = markdownToHtml(this.source);
    for (const pre of this.el.querySelectorAll('pre')) {
      const code = pre.querySelector('code');
      const language = /language-([\w+#-]+)/.exec(code?.className ?? '')?.[1];
      pre.before(
        h('div', { class: 'code-head' }, h('span', { class: 'code-lang' }, language ?? 'code'), copyButton(() => code?.textContent ?? '', 'Copy code')),
      );
    }
  }
}
