// DOM helpers and the API client. Everything shown comes from logs an attacker may control, so text is only ever
// set through textContent / attributes — never innerHTML.

export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function clear(el, ...children) { el.replaceChildren(); append(el, children); return el; }

export function sev(level) { return h('span', { class: 'sev sev-' + (level || 'medium') }, level || 'medium'); }

export function time(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return isNaN(d) ? iso : d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z').replace(/:00Z$/, ':00Z');
}

export function toast(message, bad) {
  const t = h('div', { class: 'toast' + (bad ? ' bad' : ''), role: 'status' }, message);
  document.body.append(t);
  setTimeout(() => t.remove(), bad ? 8000 : 3500);
}

const TOKEN_KEY = 'siem.token';
export const session = {
  // sessionStorage: the token leaves with the tab, not on the disk for the next person at this desk.
  get token() { return sessionStorage.getItem(TOKEN_KEY); },
  set token(v) { v ? sessionStorage.setItem(TOKEN_KEY, v) : sessionStorage.removeItem(TOKEN_KEY); },
  me: null,
  has(...roles) { return !!this.me && this.me.roles.some(r => r === 'admin' || roles.includes(r)); },
};

export class ApiError extends Error {
  constructor(status, body) {
    super((body && (body.detail || body.error)) || ('HTTP ' + status));
    this.status = status; this.body = body;
  }
}

export async function api(method, path, body) {
  const headers = { 'Accept': 'application/json' };
  if (session.token) headers['Authorization'] = 'Bearer ' + session.token;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = { detail: text }; }
  if (res.status === 401 && path !== '/api/me') { window.dispatchEvent(new CustomEvent('siem:unauthorized')); }
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

/** Server-sent events over fetch (EventSource cannot send the Authorization header). Reconnects with backoff. */
export function liveStream(path, onEvent, onState) {
  let stopped = false, controller = null, delay = 1000;
  async function run() {
    while (!stopped) {
      controller = new AbortController();
      try {
        onState('wait');
        const res = await fetch(path, { headers: { 'Authorization': 'Bearer ' + session.token, 'Accept': 'text/event-stream' }, signal: controller.signal });
        if (res.status === 401) { window.dispatchEvent(new CustomEvent('siem:unauthorized')); return; }
        if (!res.ok || !res.body) throw new Error('HTTP ' + res.status);
        onState('on'); delay = 1000;
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buf = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buf += value;
          let i;
          while ((i = buf.indexOf('\n\n')) >= 0) {
            const block = buf.slice(0, i); buf = buf.slice(i + 2);
            let name = 'message', data = '';
            for (const line of block.split('\n')) {
              if (line.startsWith('event: ')) name = line.slice(7);
              else if (line.startsWith('data: ')) data += line.slice(6);
            }
            if (data) onEvent(name, JSON.parse(data));
          }
        }
      } catch (e) {
        if (stopped) return;
      }
      onState('off');
      await new Promise(r => setTimeout(r, delay));
      delay = Math.min(delay * 2, 15000);
    }
  }
  run();
  return () => { stopped = true; if (controller) controller.abort(); };
}

export function field(label, input) { return h('label', null, label, input); }

export function kv(obj) {
  const dl = h('dl', { class: 'kv' });
  for (const [k, v] of Object.entries(obj || {})) {
    if (v === null || v === undefined || v === '') continue;
    dl.append(h('dt', null, k), h('dd', { class: 'mono' }, Array.isArray(v) ? v.join(', ') : String(v)));
  }
  return dl;
}
