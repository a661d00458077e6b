import { h, clear, api, session } from './ui.js';
import { alertsView, alertDetailView } from './alerts.js';
import { searchView } from './search.js';
import { rulesView } from './rules.js';
import { purgesView } from './purges.js';
import { agentsView, statusView } from './admin.js';

const routes = [
  [/^#\/alerts$/, alertsView, ['analyst']],
  [/^#\/alerts\/(.+)$/, alertDetailView, ['analyst']],
  [/^#\/search$/, searchView, ['analyst']],
  [/^#\/rules$/, rulesView, ['analyst']],
  [/^#\/purges$/, purgesView, ['compliance']],
  [/^#\/agents$/, agentsView, ['analyst']],
  [/^#\/status$/, statusView, ['analyst', 'compliance']],
];

let cleanup = null;
const view = document.getElementById('view');

function home() { return session.has('analyst') ? '#/alerts' : session.has('compliance') ? '#/purges' : '#/status'; }

async function route() {
  if (!session.me) return;
  if (cleanup) { cleanup(); cleanup = null; }
  const hash = location.hash || home();
  for (const a of document.querySelectorAll('#nav a')) a.classList.toggle('active', hash.startsWith(a.getAttribute('href')));
  for (const [re, fn, roles] of routes) {
    const m = hash.match(re);
    if (!m) continue;
    // A page this role may not open (e.g. the previous person's alert): go to this role's home page instead.
    if (!session.has(...roles)) { location.hash = home(); return; }
    clear(view);
    try { cleanup = (await fn(view, ...m.slice(1).map(decodeURIComponent))) || null; }
    catch (e) { view.append(h('div', { class: 'card error' }, 'Could not load: ' + e.message)); }
    return;
  }
  location.hash = home();
}

function showSignedIn(me) {
  session.me = me;
  document.getElementById('signin').hidden = true;
  view.hidden = false;
  const nav = document.getElementById('nav');
  nav.hidden = false;
  for (const a of nav.querySelectorAll('a')) a.hidden = !session.has(...a.dataset.roles.split(' '));
  clear(document.getElementById('who'), me.name + ' · ' + me.roles.join(', '));
  document.getElementById('signout').hidden = false;
  route();
}

function signOut(message) {
  if (cleanup) { cleanup(); cleanup = null; }
  session.token = null; session.me = null;
  history.replaceState(null, '', location.pathname);
  document.getElementById('signin').hidden = false;
  view.hidden = true; clear(view);
  document.getElementById('nav').hidden = true;
  document.getElementById('signout').hidden = true;
  clear(document.getElementById('who'));
  clear(document.getElementById('signin-error'), message || '');
}

document.getElementById('signin-form').addEventListener('submit', async e => {
  e.preventDefault();
  const input = document.getElementById('token');
  session.token = input.value.trim();
  try { const me = await api('GET', '/api/me'); input.value = ''; showSignedIn(me); }
  catch (err) { signOut(err.status === 401 ? 'That token was not accepted: ' + err.message : 'Sign-in failed: ' + err.message); }
});
document.getElementById('signout').addEventListener('click', () => signOut());
window.addEventListener('siem:unauthorized', () => signOut('Your session ended (token expired or revoked). Sign in again.'));
window.addEventListener('hashchange', route);

if (session.token) api('GET', '/api/me').then(showSignedIn, () => signOut());
