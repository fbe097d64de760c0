/**
 * Markdown to safe HTML: marked (GitHub-flavoured: tables, task lists) turns
 * the model's text into HTML, DOMPurify removes anything that could run or
 * load (scripts, event handlers, javascript: links, images, forms, styles),
 * and links open in a new tab without giving the page to the target.
 * Images are dropped, not loaded: an answer steered by a prompt injection
 * could otherwise send data away in an image URL.
 */
import DOMPurify from 'dompurify';
import { Marked, type Tokens } from 'marked';
import { highlight } from './highlight.js';

const marked = new Marked({
  gfm: true,
  breaks: false,
  renderer: {
    // Returning false falls back to marked's own (escaping) code renderer.
    code({ text, lang }: Tokens.Code) {
      const language = /^[\w+#-]+/.exec(lang ?? '')?.[0]?.toLowerCase() ?? '';
      const html = highlight(text, language);
      if (html === null) return false;
      return `<pre><code class="hljs language-${language}">${html}\n</code></pre>\n`;
    },
  },
});

const purify = DOMPurify(window);
purify.addHook('afterSanitizeAttributes', (node) => {
  if (node.tagName === 'A' && node.hasAttribute('href')) {
    node.setAttribute('target', '_blank');
    node.setAttribute('rel', 'noopener noreferrer');
  }
});

const FORBID_TAGS = ['img', 'picture', 'video', 'audio', 'source', 'style', 'form', 'button', 'textarea', 'select', 'iframe'];

/** Sanitized HTML for a (possibly half-finished) Markdown text. */
export function markdownToHtml(source: string): string {
  const html = marked.parse(source, { async: false });
  return purify.sanitize(html, { FORBID_TAGS, FORBID_ATTR: ['style'] });
}
