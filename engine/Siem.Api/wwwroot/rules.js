import { h, clear, api, sev, time, toast, field } from './ui.js';

const TEMPLATE = `title: My new rule
id: ${crypto.randomUUID ? crypto.randomUUID() : '00000000-0000-4000-8000-000000000000'}
status: experimental
level: medium
logsource:
  product: linux
  service: sshd
detection:
  selection:
    event.outcome: failure
  condition: selection
`;

export async function rulesView(root) {
  const list = h('tbody');
  const yaml = h('textarea', { id: 'rule-yaml', spellcheck: 'false' }, TEMPLATE);
  const events = h('textarea', { id: 'rule-events', spellcheck: 'false', placeholder: 'Paste events: JSON lines, a JSON array, or raw log lines (auth.log, auditd)…' });
  const problems = h('div', { id: 'rule-problems' });
  const results = h('div', { id: 'rule-results' });
  let editing = null;
  const title = h('h2', null, 'New rule');

  async function load() {
    const data = await api('GET', '/api/rules');
    clear(list, data.rules.map(r => h('tr', null,
      h('td', null, h('a', { href: '#/rules', onclick: e => { e.preventDefault(); open(r.id); } }, r.title)),
      h('td', null, sev(r.level)), h('td', null, r.kind), h('td', null, h('span', { class: 'pill' }, r.source)),
      h('td', null, h('button', { class: r.enabled ? 'ghost' : 'danger', onclick: () => toggle(r) }, r.enabled ? 'enabled' : 'disabled')))));
    if (data.problems.length) list.append(h('tr', null, h('td', { colspan: 5, class: 'error' }, data.problems.map(p => h('div', null, p.text)))));
  }

  async function open(id) {
    const r = await api('GET', '/api/rules/' + encodeURIComponent(id));
    yaml.value = r.yaml; editing = r.rule.source === 'custom' ? r.rule.id : null;
    clear(title, editing ? 'Edit ' + r.rule.title : r.rule.title + ' (pack, read-only: save under a new id to customise)');
    clear(problems); clear(results);
  }

  async function toggle(r) {
    try { await api('POST', `/api/rules/${encodeURIComponent(r.id)}/${r.enabled ? 'disable' : 'enable'}`); await load(); }
    catch (e) { toast(e.message, true); }
  }

  function showErrors(errors) {
    clear(problems, errors.length
      ? h('ul', { class: 'error' }, errors.map(e => h('li', null, (e.line ? `line ${e.line}, column ${e.column}: ` : '') + e.message + (e.rule_id ? ` (rule ${e.rule_id})` : ''))))
      : h('p', { class: 'okText' }, 'Valid: the engine can load and compile this.'));
  }

  async function validate() {
    try { const v = await api('POST', '/api/rules/validate', { yaml: yaml.value }); showErrors(v.errors); }
    catch (e) { toast(e.message, true); }
  }

  async function save() {
    try {
      const r = editing ? await api('PUT', '/api/rules/' + encodeURIComponent(editing), { yaml: yaml.value }) : await api('POST', '/api/rules', { yaml: yaml.value });
      editing = r.rule.id; clear(title, 'Edit ' + r.rule.title); showErrors([]); toast('Rule saved'); await load();
    } catch (e) { if (e.body && e.body.errors) showErrors(e.body.errors); else toast(e.message, true); }
  }

  async function test() {
    try {
      const r = await api('POST', '/api/rules/test', { yaml: yaml.value, events: events.value });
      clear(results,
        h('p', null, `${r.events_read} event(s) read, ${r.matches.length} matched, ${r.correlations.length} correlation(s) fired`),
        r.problems.length ? h('ul', { class: 'error' }, r.problems.map(p => h('li', null, p))) : null,
        r.matches.length ? h('table', null, h('tbody', null, r.matches.map(m => h('tr', null, h('td', null, '#' + m.event),
          h('td', null, h('pre', null, m.original)), h('td', null, m.rules.map(x => x.title).join(', ')))))) : null,
        r.correlations.map(c => h('p', null, sev('high'), ' ', c.title, ' — ', Object.entries(c.group_by).map(([k, v]) => k + '=' + v).join(' '), ` (${c.count} events, ${time(c.first)} – ${time(c.last)})`)));
    } catch (e) { if (e.body && e.body.errors) showErrors(e.body.errors); else clear(results, h('p', { class: 'error' }, e.message)); }
  }

  const from = h('input', { value: '-24h', size: 22 }), to = h('input', { value: 'now', size: 22 });
  const replayOut = h('span', { class: 'muted' });
  async function replay() {
    try { const r = await api('POST', '/api/rules/replay', { from: from.value, to: to.value }); clear(replayOut, `${r.events} events replayed, ${r.alerts} backfill alert(s)`); }
    catch (e) { clear(replayOut, h('span', { class: 'error' }, e.message)); }
  }

  root.append(h('div', { class: 'grid2' },
    h('div', { class: 'card' }, h('div', { class: 'row' }, h('h1', null, 'Rules'), h('button', { class: 'ghost', onclick: () => { yaml.value = TEMPLATE; editing = null; clear(title, 'New rule'); } }, 'New rule')),
      h('table', { id: 'rules' }, h('thead', null, h('tr', null, ['Rule', 'Level', 'Kind', 'Source', 'State'].map(t => h('th', null, t)))), list),
      h('h3', null, 'Replay over history'), h('div', { class: 'row' }, field('From', from), field('To', to), h('button', { onclick: replay }, 'Replay enabled rules'), replayOut)),
    h('div', { class: 'card' }, title, yaml,
      h('div', { class: 'row' }, h('button', { onclick: validate }, 'Validate'), h('button', { onclick: save }, 'Save')), problems,
      h('h3', null, 'Test against these events'), events, h('div', { class: 'row' }, h('button', { id: 'rule-test', onclick: test }, 'Test')), results)));
  await load();
}
