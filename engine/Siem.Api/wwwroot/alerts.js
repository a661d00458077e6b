import { h, clear, api, sev, time, toast, liveStream, kv, field, session } from './ui.js';

const LEVELS = ['critical', 'high', 'medium', 'low', 'informational'];

function groupText(a) { return Object.entries(a.group_by || {}).map(([k, v]) => k + '=' + v).join('  '); }

export async function alertsView(root) {
  const state = { alerts: new Map(), levels: new Set(LEVELS), status: 'active', text: '' };
  const liveBadge = h('span', { class: 'live wait', id: 'live-state' }, 'connecting');
  const tbody = h('tbody', { id: 'alert-rows' });
  const count = h('span', { class: 'muted' });
  const levelBoxes = LEVELS.map(l => h('label', { class: 'inline' },
    h('span', null, h('input', { type: 'checkbox', checked: true, 'data-level': l, onchange: e => { e.target.checked ? state.levels.add(l) : state.levels.delete(l); render(); } }), ' ', sev(l))));
  const statusSel = h('select', { id: 'status-filter', onchange: e => { state.status = e.target.value; render(); } },
    h('option', { value: 'active' }, 'open + acknowledged'), h('option', { value: 'open' }, 'open'),
    h('option', { value: 'acknowledged' }, 'acknowledged'), h('option', { value: 'closed' }, 'closed'), h('option', { value: 'all' }, 'all'));
  const textFilter = h('input', { type: 'search', placeholder: 'filter: title, ip, user…', oninput: e => { state.text = e.target.value.toLowerCase(); render(); } });

  root.append(h('div', { class: 'card' },
    h('div', { class: 'row' }, h('h1', null, 'Live alerts'), liveBadge, count),
    h('div', { class: 'row' }, levelBoxes, field('Status', statusSel), field('Filter', textFilter)),
    h('table', { id: 'alerts' }, h('thead', null, h('tr', null, ['Last seen', 'Level', 'Alert', 'Group', 'Count', 'Status', 'Assignee'].map(t => h('th', null, t)))), tbody)));

  function visible(a) {
    const st = a.triage.status;
    if (!state.levels.has(a.level)) return false;
    if (state.status === 'active' ? st === 'closed' : state.status !== 'all' && st !== state.status) return false;
    if (state.text && !(a.title + ' ' + groupText(a) + ' ' + a.rule_id + ' ' + JSON.stringify(a.fields)).toLowerCase().includes(state.text)) return false;
    return true;
  }

  function render(freshId) {
    const list = [...state.alerts.values()].filter(visible).sort((x, y) => y.last_seen.localeCompare(x.last_seen));
    clear(tbody, list.map(a => h('tr', {
      class: 'clickable lvl-' + a.level + (a.alert_id === freshId ? ' fresh' : ''), 'data-alert-id': a.alert_id,
      onclick: () => { location.hash = '#/alerts/' + encodeURIComponent(a.alert_id); },
    },
      h('td', { class: 'mono' }, time(a.last_seen)), h('td', null, sev(a.level)),
      h('td', null, a.title, a.backfill ? h('span', { class: 'pill' }, 'backfill') : null),
      h('td', { class: 'mono' }, groupText(a)), h('td', null, a.count),
      h('td', { class: 'status-' + a.triage.status }, a.triage.status), h('td', null, a.triage.assignee || ''))));
    clear(count, list.length + ' shown of ' + state.alerts.size);
    if (list.length === 0) tbody.append(h('tr', null, h('td', { colspan: 7, class: 'muted' }, 'No alerts match. New ones appear here as the engine raises them.')));
  }

  async function reload() {
    const data = await api('GET', '/api/alerts?limit=500');
    state.alerts.clear();
    for (const a of data.alerts) state.alerts.set(a.alert_id, a);
    render();
  }
  await reload();

  const stop = liveStream('/api/alerts/stream', (name, data) => {
    if (name === 'alert') { state.alerts.set(data.alert.alert_id, data.alert); render(data.alert.alert_id); }
    else if (name === 'dropped') { toast(data.dropped + ' live alert(s) were missed; reloading the list'); reload(); }
  }, s => {
    liveBadge.className = 'live ' + s;
    liveBadge.textContent = s === 'on' ? 'live' : s === 'wait' ? 'connecting' : 'disconnected, retrying';
    if (s === 'on') reload().catch(() => {});
  });
  return stop;
}

export async function alertDetailView(root, id) {
  const data = await api('GET', '/api/alerts/' + encodeURIComponent(id));
  const a = data.alert;
  const triageBox = h('div');
  const lineageBox = h('div', { id: 'lineage' }, h('p', { class: 'muted' }, 'Loading lineage…'));

  function renderTriage(t) {
    const assignee = h('input', { placeholder: 'who takes it', value: t.assignee || '' });
    const reason = h('input', { placeholder: 'reason (false positive, resolved, …)', id: 'close-reason' });
    const act = (path, body) => async () => {
      try { const next = await api('POST', '/api/alerts/' + encodeURIComponent(id) + path, body && body()); renderTriage(next); toast('Saved'); }
      catch (e) { toast(e.message, true); }
    };
    clear(triageBox,
      h('p', null, 'Status: ', h('strong', { class: 'status-' + t.status }, t.status), t.assignee ? ' · assigned to ' + t.assignee : '',
        t.reason ? ' · reason: ' + t.reason : '', t.updated_by ? h('span', { class: 'muted' }, ' (by ' + t.updated_by + ' at ' + time(t.updated_at) + ')') : ''),
      h('div', { class: 'row' },
        h('button', { onclick: act('/acknowledge'), disabled: t.status !== 'open' }, 'Acknowledge'),
        assignee, h('button', { onclick: act('/assign', () => ({ assignee: assignee.value })) }, 'Assign'),
        reason, h('button', { class: 'danger', onclick: act('/close', () => ({ reason: reason.value })), disabled: t.status === 'closed' }, 'Close'),
        t.status === 'closed' ? h('button', { class: 'ghost', onclick: act('/reopen') }, 'Reopen') : null));
  }
  renderTriage(a.triage);

  root.append(
    h('p', null, h('a', { href: '#/alerts' }, '← live alerts')),
    h('div', { class: 'card' },
      h('div', { class: 'row' }, sev(a.level), h('h1', null, a.title)),
      a.description ? h('p', null, a.description) : null,
      h('div', { class: 'grid2' },
        kv({ 'alert id': a.alert_id, rule: a.rule_id, kind: a.kind, 'first seen': time(a.first_seen), 'last seen': time(a.last_seen), count: a.count, tags: a.tags }),
        kv(Object.assign({}, a.group_by, a.fields))),
      h('h3', null, 'Triage'), triageBox,
      data.history.length ? h('ul', { class: 'muted' }, data.history.map(x => h('li', null, time(x.at) + ' ' + x.actor + ': ' + x.action + (x.detail ? ' — ' + x.detail : '')))) : null),
    h('div', { class: 'card' },
      h('h2', null, 'Matched events (' + data.events.length + (data.events_total > data.events_shown ? ' of ' + data.events_total : '') + ')'),
      h('table', { id: 'alert-events' }, h('thead', null, h('tr', null, h('th', null, 'Time'), h('th', null, 'Event'), h('th', null, ''))),
        h('tbody', null, data.events.map(e => h('tr', null, h('td', { class: 'mono' }, time(e.timestamp)), h('td', null, h('pre', null, e.original)),
          h('td', null, h('button', { class: 'ghost', onclick: () => showRecordLineage(e.record_id) }, 'lineage'))))))),
    h('div', { class: 'card' }, h('h2', null, 'Lineage'), lineageBox));

  async function showRecordLineage(recordId) {
    try { renderRecord(await api('GET', '/api/lineage/records/' + encodeURIComponent(recordId))); }
    catch (e) { clear(lineageBox, h('p', { class: 'error' }, 'Record ' + recordId + ': ' + e.message)); }
    lineageBox.scrollIntoView({ behavior: 'smooth' });
  }

  function renderRecord(r) {
    clear(lineageBox, h('h3', null, 'Record ' + r.record_id), r.copies.map(copyPath),
      h('p', { class: 'muted' }, 'Concerns ' + r.subject_count + ' data subject(s); derived alerts: ' + (r.alerts.map(x => x.alert_id).join(', ') || 'none')));
  }

  // Lineage hops reach the ledger a moment after the alert is indexed: keep asking while this page is open.
  let timer = null, stopped = false;
  async function loadLineage() {
    let l;
    try { l = await api('GET', '/api/lineage/alerts/' + encodeURIComponent(id)); }
    catch (e) {
      clear(lineageBox, h('p', { class: 'muted' }, e.message + (e.status === 404 ? ' — checking again…' : '')));
      if (e.status === 404 && !stopped) timer = setTimeout(loadLineage, 2000);
      return;
    }
    clear(lineageBox,
      h('p', null, 'Stored in ', h('strong', null, l.alert.index), ' at ' + time(l.alert.at) + ' · built from ' + l.records_total + ' record(s) · concerns ' + l.subject_count + ' data subject(s)'),
      h('h3', null, 'Record copies'), l.records.map(copyPath),
      h('h3', null, 'Deliveries'), l.deliveries.length ? h('ul', null, l.deliveries.map(d => h('li', null, d.channel + ': ' + d.outcome + ' at ' + time(d.at)))) : h('p', { class: 'muted' }, 'Not delivered to any channel.'));
  }
  loadLineage();
  return () => { stopped = true; clearTimeout(timer); };
}

export function copyPath(c) {
  return h('div', { class: 'path lineage-path' },
    h('span', null, (c.source_kind || 'source') + ' ' + (c.source || '?') + (c.offset != null ? ' @' + c.offset : '')),
    h('span', null, 'agent ' + c.agent_id + ' batch ' + c.batch_seq),
    h('span', null, c.stream + ' #' + c.stream_seq),
    h('span', null, 'engine ' + c.engine),
    h('span', null, c.index + ' at ' + time(c.indexed_at)));
}
