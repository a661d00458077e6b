import { h, clear, api, sev, time, field } from './ui.js';

const SVG = 'http://www.w3.org/2000/svg';
function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
  for (const c of children) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

/** Bars per time bucket; clicking a bar narrows the search to it. */
export function histogram(hist, onPick) {
  const width = 1000, height = 120, pad = 22;
  const svg = s('svg', { class: 'histogram', viewBox: `0 0 ${width} ${height + pad}`, width: '100%', height: height + pad, role: 'img', 'aria-label': 'events over time' });
  const max = Math.max(1, ...hist.counts);
  const bw = width / hist.counts.length;
  const from = new Date(hist.from).getTime(), span = hist.bucket_seconds * 1000;
  hist.counts.forEach((c, i) => {
    const bh = Math.round((c / max) * (height - 4));
    const start = new Date(from + i * span), end = new Date(from + (i + 1) * span);
    const rect = s('rect', { x: (i * bw + 1).toFixed(1), y: height - bh, width: Math.max(1, bw - 2).toFixed(1), height: bh },
      s('title', null, `${time(start.toISOString())} – ${time(end.toISOString())}: ${c}`));
    rect.addEventListener('click', () => onPick(start.toISOString(), end.toISOString()));
    svg.append(rect);
  });
  svg.append(s('text', { x: 0, y: height + 16 }, time(hist.from)), s('text', { x: width, y: height + 16, 'text-anchor': 'end' }, time(hist.to)),
    s('text', { x: width / 2, y: height + 16, 'text-anchor': 'middle' }, `max ${max} per ${formatSpan(hist.bucket_seconds)}`));
  return svg;
}

function formatSpan(sec) { return sec >= 3600 ? (sec / 3600).toFixed(1) + ' h' : sec >= 60 ? (sec / 60).toFixed(1) + ' min' : sec.toFixed(1) + ' s'; }

export async function searchView(root) {
  const q = h('input', { id: 'q', type: 'search', size: 60, placeholder: 'source.ip:203.0.113.* AND "Failed password"', value: '*' });
  const range = h('select', { id: 'range' }, ['-15m', '-1h', '-6h', '-24h', '-7d', '-30d'].map(v => h('option', { value: v, selected: v === '-24h' }, 'last ' + v.slice(1))), h('option', { value: 'custom' }, 'custom'));
  const from = h('input', { placeholder: 'from (ISO or -1h)', size: 22 });
  const to = h('input', { placeholder: 'to', size: 22 });
  const kind = h('select', null, h('option', { value: 'all' }, 'events + alerts'), h('option', { value: 'events' }, 'events'), h('option', { value: 'alerts' }, 'alerts'));
  const out = h('div');
  const go = async e => {
    if (e) e.preventDefault();
    const params = new URLSearchParams({ q: q.value || '*', kind: kind.value, limit: '200', buckets: '60' });
    if (range.value === 'custom') { if (from.value) params.set('from', from.value); if (to.value) params.set('to', to.value); }
    else { params.set('from', range.value); params.set('to', 'now'); }
    clear(out, h('p', { class: 'muted' }, 'Searching…'));
    try { render(await api('GET', '/api/search?' + params)); }
    catch (err) { clear(out, h('p', { class: 'error' }, err.message)); }
  };
  root.append(h('div', { class: 'card' }, h('h1', null, 'Search'),
    h('form', { class: 'row', onsubmit: go }, field('Query', q), field('Time', range), field('From', from), field('To', to), field('Kind', kind), h('button', { type: 'submit' }, 'Search')),
    h('p', { class: 'muted' }, 'field:value (* wildcards), "phrases", words, AND / OR / NOT, parentheses.')), out);

  function render(data) {
    const rows = data.hits.map(hit => hit.kind === 'alert'
      ? h('tr', { class: 'clickable', onclick: () => { location.hash = '#/alerts/' + encodeURIComponent(hit.id); } },
        h('td', { class: 'mono' }, time(hit.timestamp)), h('td', null, sev(hit.alert.level)), h('td', null, hit.alert.title))
      : h('tr', null, h('td', { class: 'mono' }, time(hit.timestamp)), h('td', null, h('span', { class: 'pill' }, hit.event.agent_id)),
        h('td', null, h('details', null, h('summary', { class: 'mono' }, hit.event.original), h('pre', null, JSON.stringify(hit.event.fields, null, 2))))));
    clear(out, h('div', { class: 'card' },
      h('p', null, data.total + ' match(es)' + (data.total > data.hits.length ? ', newest ' + data.hits.length + ' shown' : '')),
      data.histogram ? histogram(data.histogram, (f, t) => { range.value = 'custom'; from.value = f; to.value = t; go(); }) : null,
      h('table', { id: 'search-results' }, h('tbody', null, rows))));
  }
  await go();
}
