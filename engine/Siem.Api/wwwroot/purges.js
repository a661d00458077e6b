import { h, clear, api, time, toast, field, kv, session } from './ui.js';

const FIELDS = ['user.name', 'source.ip', 'user.email', 'host.name', 'user.target.name'];

export async function purgesView(root) {
  const fieldSel = h('select', { id: 'purge-field' }, FIELDS.map(f => h('option', { value: f }, f)));
  const value = h('input', { id: 'purge-value', placeholder: 'the value, e.g. alice', autocomplete: 'off', spellcheck: 'false' });
  const reason = h('input', { id: 'purge-reason', size: 40, placeholder: 'erasure request reference / reason' });
  const from = h('input', { placeholder: 'optional, e.g. 2026-01-01', size: 18 });
  const to = h('input', { placeholder: 'optional', size: 18 });
  const lookup = h('div', { id: 'subject-lookup' });
  const jobs = h('tbody', { id: 'purge-rows' });
  const cert = h('div', { id: 'certificate' });

  async function look(e) {
    e.preventDefault();
    try {
      const r = await api('POST', '/api/lineage/subject', { selector: fieldSel.value + '=' + value.value });
      clear(lookup, h('p', null, `Subject ${r.subject_id.slice(0, 16)}…: ${r.records_total} record(s), ${r.alerts.length} alert(s), ${r.purges.length} earlier purge(s).`),
        r.places.length ? h('ul', null, r.places.map(p => h('li', null, p.index + ': ' + p.records + ' record(s)'))) : h('p', { class: 'muted' }, 'The ledger holds no record of this subject.'));
    } catch (err) { clear(lookup, h('p', { class: 'error' }, err.message)); }
  }

  async function file(e) {
    e.preventDefault();
    try {
      const job = await api('POST', '/api/purges', { selector: fieldSel.value + '=' + value.value, reason: reason.value, from: from.value || null, to: to.value || null });
      value.value = ''; clear(lookup);
      toast('Purge ' + job.id + ' filed: ' + job.state);
      await load();
    } catch (err) { toast(err.message, true); }
  }

  async function approve(id) {
    try { const job = await api('POST', `/api/purges/${encodeURIComponent(id)}/approve`); toast('Approved: ' + job.state); await load(); }
    catch (err) { toast(err.message, true); }
  }

  async function showCertificate(id) {
    try {
      const res = await fetch(`/api/purges/${encodeURIComponent(id)}/certificate`, { headers: { 'Authorization': 'Bearer ' + session.token } });
      if (!res.ok) throw new Error('HTTP ' + res.status);
      const text = await res.text();
      const c = JSON.parse(text);
      const blob = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
      clear(cert, h('div', { class: 'card' }, h('h2', null, 'Certificate ' + id),
        kv({ type: c.type, purge: c.purge_id || c.job_id, subject: c.subject_id, certified: c.certified_at, verified: String(c.verified), 'server key': c.server_key_id }),
        h('pre', { class: 'mono' }, JSON.stringify(c, null, 2)),
        h('a', { href: blob, download: id + '.certificate.json' }, 'Download certificate')));
      cert.scrollIntoView({ behavior: 'smooth' });
    } catch (err) { toast(err.message, true); }
  }

  async function load() {
    const data = await api('GET', '/api/purges');
    clear(jobs, data.purges.map(j => h('tr', { 'data-purge-id': j.id },
      h('td', { class: 'mono' }, j.id), h('td', null, j.subject_field + ' ', h('span', { class: 'muted mono' }, j.subject_id.slice(0, 12) + '…')),
      h('td', { class: 'purge-state' }, j.state + (j.running ? ' (running)' : '')), h('td', null, j.requested_by, h('div', { class: 'muted' }, time(j.requested_at))),
      h('td', null, j.reason), h('td', null, j.approvals.map(a => a.by).join(', ') || (j.approvals_required ? 'needs ' + j.approvals_required : 'not needed')),
      h('td', null, j.steps.map(s => h('div', { class: 'muted' }, s.store + ': ' + [['deleted', s.deleted], ['redacted', s.redacted], ['erased', s.erased], ['rewritten', s.rewritten], ['shredded', s.shredded]].filter(x => x[1]).map(x => x[1] + ' ' + x[0]).join(', ')))),
      h('td', null, j.last_error ? h('span', { class: 'error' }, j.last_error) : null,
        j.state === 'requested' ? h('button', { onclick: () => approve(j.id) }, 'Approve') : null,
        j.certificate ? h('button', { class: 'ghost', onclick: () => showCertificate(j.id) }, 'Certificate') : null))));
    if (!data.purges.length) jobs.append(h('tr', null, h('td', { colspan: 8, class: 'muted' }, 'No purge requests yet.')));
  }

  root.append(
    h('div', { class: 'card' }, h('h1', null, 'Right to be forgotten'),
      h('p', { class: 'muted' }, 'Name the data subject by one identifying field. The value is sealed inside the job and never shown again; the audit log and the certificate carry only a pseudonymous subject id. A second person approves before the purge runs.'),
      h('form', { id: 'purge-form', class: 'row', onsubmit: file },
        field('Field', fieldSel), field('Value', value), field('Reason', reason), field('From', from), field('To', to),
        h('button', { type: 'button', class: 'ghost', onclick: look }, 'Look up'), h('button', { type: 'submit', id: 'purge-submit' }, 'File purge request')),
      lookup),
    h('div', { class: 'card' }, h('h2', null, 'Purge requests'),
      h('table', { id: 'purges' }, h('thead', null, h('tr', null, ['Job', 'Subject', 'State', 'Requested by', 'Reason', 'Approvals', 'Steps', ''].map(t => h('th', null, t)))), jobs)),
    cert);
  await load();
  const timer = setInterval(() => load().catch(() => {}), 5000);
  return () => clearInterval(timer);
}
