import { marked } from 'marked';
import type { Methodology } from '../../../src/dashboard/apiTypes.js';
import { getJson } from '../api.js';
import { h } from '../dom.js';
import type { PageContext } from '../page.js';

/**
 * docs/methodology.md as served by the API, with each level-2/3 heading given the anchor the API
 * names (`s-6`, `s-13c` …), so the "Method" links on every figure land on their section.
 */
export async function methodologyPage(_ctx: PageContext): Promise<HTMLElement> {
  const doc = await getJson<Methodology>('methodology');
  const article = h('article', { class: 'prose', 'aria-labelledby': 'methodology-title' });
  // Our own document, from our own server; the page's CSP still forbids inline scripts.
  article.innerHTML = marked.parse(doc.markdown, { async: false, gfm: true });
  const first = article.querySelector('h1');
  if (first) first.id = 'methodology-title';
  else article.prepend(h('h1', { id: 'methodology-title' }, 'Methodology'));
  article.querySelector('h1')?.setAttribute('tabindex', '-1');
  const headings = [...article.querySelectorAll('h2, h3')];
  headings.forEach((el, i) => {
    // Numbered sections by their number (robust to any heading the two parsers see differently).
    const n = /^(\d+[a-z]?)\.\s/.exec(el.textContent ?? '');
    const s = n ? doc.sections.find((x) => x.id === `s-${n[1]}`) : doc.sections[i];
    if (s) el.id = s.id;
  });
  for (const t of article.querySelectorAll('table')) {
    t.classList.add('data-table');
    const wrap = h('div', {
      class: 'table-scroll',
      tabindex: '0',
      role: 'region',
      'aria-label': 'Methodology table',
    });
    t.replaceWith(wrap);
    wrap.append(t);
  }
  const toc = h(
    'nav',
    { class: 'toc', 'aria-label': 'Methodology sections' },
    h('h2', {}, 'Sections'),
    h(
      'ul',
      {},
      ...doc.sections
        .filter((s) => s.level === 2)
        .map((s) => h('li', {}, h('a', { href: `#${s.id}` }, s.title))),
    ),
  );
  return h(
    'div',
    { class: 'page page-methodology' },
    h(
      'p',
      { class: 'note' },
      `Methodology version ${doc.version}. Every figure in the dashboard links to the section it comes from.`,
    ),
    h('div', { class: 'methodology-layout' }, toc, article),
  );
}
