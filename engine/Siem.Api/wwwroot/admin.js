import { h, clear, api, time, toast, session } from './ui.js';

export async function agentsView(root) {
  const rows = h('tbody', { id: 'agent-rows' });
  async function load() {
    const data = await api('GET', '/api/agents');
    clear(rows, data.agents.map(a => h('tr', null,
      h('td', { class: 'mono' }, a.agent_id), h('td', null, a.tenant), h('td', null, a.host_name || ''),
      h('td', { class: 'health-' + a.health }, a.health.replace('_', ' ')), h('td', { class: 'mono' }, time(a.last_event_at)),
      h('td', { class: 'mono' }, time(a.enrolled_at)),
      h('td', null, session.has('admin') && !a.revoked ? h('button', { class: 'danger', onclick: () => revoke(a.agent_id) }, 'Revoke') : null))));
    if (!data.agents.length) rows.append(h('tr', null, h('td', { colspan: 7, class: 'muted' }, 'No agent has enrolled.')));
    return data;
  }
  async function revoke(id) {
    if (!confirm(`Revoke agent ${id}? Its data will be quarantined from now on and the id can never enroll again.`)) return;
    try { await api('POST', `/api/agents/${encodeURIComponent(id)}/revoke`); toast('Revoked ' + id); await load(); }
    catch (e) { toast(e.message, true); }
  }
  const data = await load();
  root.append(h('div', { class: 'card' }, h('h1', null, 'Agents'),
    h('p', { class: 'muted' }, `Health: active = an event in the last ${data.silent_after_minutes} minutes (by event time), silent = none since, revoked = refused.`),
    h('table', { id: 'agents' }, h('thead', null, h('tr', null, ['Agent', 'Tenant', 'Host', 'Health', 'Last event', 'Enrolled', ''].map(t => h('th', null, t)))), rows)));
}

export async function statusView(root) {
  const box = h('div');
  async function load() {
    let health;
    try { health = await api('GET', '/api/health'); } catch (e) { health = (e.body && e.body.status) ? e.body : { status: 'error', index: e.message }; }
    const metrics = await api('GET', '/api/metrics');
    clear(box,
      h('div', { class: 'card' }, h('h1', null, 'Status: ', h('span', { class: health.status === 'ok' ? 'okText' : 'error' }, health.status)),
        h('table', null, h('tbody', null, [['index', health.index], ['broker', health.broker], ['enrolled agents', health.agents], ['live watchers', health.live_watchers]]
          .map(([k, v]) => h('tr', null, h('td', { class: 'muted' }, k), h('td', null, v === undefined || v === null ? '' : String(v))))))),
      h('div', { class: 'card' }, h('h2', null, 'Counters'),
        h('table', { id: 'metrics' }, h('tbody', null, Object.entries(metrics.counters).map(([k, v]) => h('tr', null, h('td', { class: 'mono' }, k), h('td', null, String(v))))))),
      ...(metrics.processes || []).map(processCard));
  }
  root.append(box);
  await load();
  const timer = setInterval(() => load().catch(() => {}), 5000);
  return () => clearInterval(timer);
}

// One siem serve process (or the demo): the OpenTelemetry instruments it exports over OTLP, as it last reported them.
function processCard(p) {
  const unit = u => (u && !u.startsWith('{')) ? ' ' + u : '';
  const num = v => Number.isInteger(v) ? String(v) : v.toFixed(3);
  const value = m => m.kind === 'histogram'
    ? `${m.count} × mean ${num(m.value)}${unit(m.unit)}, max ${num(m.max ?? 0)}${unit(m.unit)}`
    : num(m.value) + unit(m.unit);
  return h('div', { class: 'card process', 'data-instance': p.instance },
    h('h2', null, `${p.instance} `, h('span', { class: 'muted' }, `(${p.roles.join(', ')}) on ${p.host}, pid ${p.pid}`),
      p.stale ? h('span', { class: 'error' }, ' stale: no report since ' + time(p.at)) : null),
    h('table', { class: 'process-metrics' }, h('tbody', null, p.metrics.map(m => h('tr', null,
      h('td', { class: 'mono' }, m.name, m.tags ? h('span', { class: 'muted' }, ` {${m.tags}}`) : null),
      h('td', null, value(m)))))));
}
