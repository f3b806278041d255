// The portal: plain ES modules, hash routes, one module per page loaded when first visited.
// Every number comes from the API (no scoring in the browser).
import { api, attempt, errorBox, field, forgetSession, h, main, maybeSignedIn, state, setTitle, Unauthorized } from './lib.js';

const nav = document.getElementById('nav');
const who = document.getElementById('who');
const menu = document.getElementById('menu');

/**
 * On a phone (under 600 px, portal.css) the navigation folds behind the Menu button: it toggles
 * `aria-expanded` and the list; Escape closes it and gives focus back to the button; choosing a
 * page closes it. Wider, the button is not shown and the links always are.
 */
function setMenu(open) {
  menu.setAttribute('aria-expanded', String(open));
  nav.classList.toggle('open', open);
}
menu.addEventListener('click', () => {
  const open = menu.getAttribute('aria-expanded') !== 'true';
  setMenu(open);
  if (open) nav.querySelector('a')?.focus();
});
nav.addEventListener('keydown', (e) => {
  if (e.key === 'Escape' && menu.getAttribute('aria-expanded') === 'true') {
    setMenu(false);
    menu.focus();
  }
});

/**
 * The pages: `#/<path>` loads `module` and calls its default export with { parts, params }.
 * `roles` decides who sees the page in the navigation; the API still decides what each call may do.
 */
const PAGES = [
  { path: 'dashboard', label: 'Dashboard', roles: ['admin', 'analyst', 'manager', 'viewer'], module: './pages/dashboard.js' },
  { path: 'vendor', label: 'Scorecard', roles: ['vendor'], module: './pages/vendor.js' },
  { path: 'responses', label: 'Responses', roles: ['admin', 'analyst', 'manager', 'vendor'], module: './pages/responses.js' },
  { path: 'cases', label: 'Cases', roles: ['admin', 'analyst', 'manager', 'vendor', 'agent'], module: './pages/cases.js' },
  // After Cases: an agent still lands on their cases; their page and the team page are one click away.
  { path: 'me', label: 'My page', roles: ['agent'], module: './pages/agent.js' },
  { path: 'team', label: 'Team', roles: ['admin', 'manager'], module: './pages/team.js' },
  { path: 'themes', label: 'Themes', roles: ['admin', 'analyst', 'manager', 'viewer'], module: './pages/themes.js' },
  { path: 'plans', label: 'Action plans', roles: ['admin', 'analyst', 'manager'], module: './pages/plans.js' },
  { path: 'drivers', label: 'Drivers', roles: ['admin', 'analyst', 'manager', 'viewer'], module: './pages/drivers.js' },
  { path: 'accounts', label: 'Accounts', roles: ['admin', 'analyst', 'manager', 'viewer'], module: './pages/accounts.js' },
  { path: 'measures', label: 'Measures', roles: ['admin', 'analyst', 'manager', 'viewer'], module: './pages/measures.js' },
  { path: 'reports', label: 'Reports', roles: ['admin', 'analyst', 'manager', 'viewer'], module: './pages/reports.js' },
  { path: 'integrity', label: 'Integrity', roles: ['admin', 'analyst'], module: './pages/integrity.js' },
  { path: 'admin', label: 'Administration', roles: ['admin'], module: './pages/admin.js' },
  // Reached from the dashboard's "Compare and targets" links, not from the navigation (it stays short at 360 px).
  { path: 'league', label: 'League table', roles: ['admin', 'analyst', 'manager', 'viewer'], module: './pages/league.js', nav: false },
  { path: 'targets', label: 'Targets', roles: ['admin', 'analyst', 'manager', 'viewer', 'vendor'], module: './pages/targets.js', nav: false },
  { path: 'clusters', label: 'Peer clusters', roles: ['admin', 'analyst', 'manager', 'viewer'], module: './pages/clusters.js', nav: false },
  { path: 'governance', label: 'Program governance', roles: ['admin', 'analyst', 'manager'], module: './pages/governance.js', nav: false },
  { path: 'review', label: 'Quarterly review', roles: ['admin', 'analyst', 'manager'], module: './pages/review.js', nav: false },
  { path: 'account', label: 'Account', roles: ['admin', 'analyst', 'manager', 'viewer'], module: './pages/account.js', nav: false },
  { path: 'agent', label: 'Agent', roles: ['admin', 'manager'], module: './pages/agent.js', nav: false },
  { path: 'around', label: 'Before and after', roles: ['admin', 'analyst', 'manager', 'viewer', 'vendor'], module: './pages/around.js', nav: false },
];
/** The page most roles land on (admins, analysts, managers, viewers). */
const HOME_MODULE = './pages/dashboard.js';
const allowedPages = () => PAGES.filter((p) => p.roles.some((r) => state.session.roles.has(r)));
const home = () => `#/${allowedPages()[0]?.path ?? 'cases'}`;

// ---- Sign in / out ------------------------------------------------------------------------

function showSignIn() {
  // Already showing (two calls of one page both answered 401): keep what the user has typed.
  if (main.querySelector('#password') && !state.notice) return;
  nav.replaceChildren();
  who.replaceChildren();
  menu.hidden = true;
  setTitle('Sign in');
  const email = h('input', { id: 'email', name: 'email', type: 'email', autocomplete: 'username', required: true });
  const password = h('input', { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const out = h('div', { 'aria-live': 'polite' });
  const form = h(
    'form',
    {
      class: 'stack',
      onsubmit: async (e) => {
        e.preventDefault();
        out.replaceChildren();
        const signIn = async (tenantId) => {
          try {
            await api('POST', '/api/v1/auth/login', { email: email.value, password: password.value, ...(tenantId ? { tenantId } : {}) });
            await start();
          } catch (err) {
            if (err.code === 'TENANT_CHOICE_REQUIRED') out.replaceChildren(tenantChoice(err.details.tenants, signIn));
            else out.replaceChildren(errorBox(err.status === 401 ? new Error('Email or password is wrong.') : err));
          }
        };
        await signIn();
      },
    },
    field('email', 'Email', email),
    field('password', 'Password', password),
    h('button', { type: 'submit' }, 'Sign in'),
    out,
  );
  main.append(form);
}
state.onUnauthorized = showSignIn;

/** The email and password open accounts in several organisations: the user picks one, and the sign-in is repeated with it. */
function tenantChoice(tenants, signIn) {
  return h(
    'fieldset',
    { class: 'stack' },
    h('legend', {}, 'This sign-in opens several organisations. Which one?'),
    ...tenants.map((t) => h('button', { type: 'button', onclick: () => signIn(t.id) }, t.name)),
  );
}

async function signOut() {
  await attempt(h('div'), () => api('POST', '/api/v1/auth/logout'));
  forgetSession();
  state.session = null;
  location.hash = '';
  showSignIn();
}

// ---- Navigation ---------------------------------------------------------------------------

function renderNav(current) {
  nav.replaceChildren(
    ...allowedPages()
      .filter((p) => p.nav !== false)
      .map((p) => h('a', { href: `#/${p.path}`, 'aria-current': current === p.path ? 'page' : undefined }, p.label)),
  );
  who.replaceChildren(h('span', {}, state.session.me.user?.email ?? ''), h('button', { type: 'button', class: 'link', onclick: signOut }, 'Sign out'));
  // A page chosen: the phone's menu folds away.
  menu.hidden = false;
  setMenu(false);
}

async function start() {
  // Nobody signed in: the form at once, without asking the API (no 401 in the console).
  if (!maybeSignedIn()) return showSignIn();
  // The home's module (fetched already: index.html preloads it) is evaluated while /me and /units are on their way;
  // a role with another home has its module fetched as soon as /me says which.
  import(HOME_MODULE).catch(() => {});
  const meCall = api('GET', '/api/v1/me');
  meCall
    .then((me) => {
      const roles = new Set(me.grants.map((g) => g.role));
      const first = PAGES.find((p) => p.roles.some((r) => roles.has(r)));
      if (first && first.module !== HOME_MODULE) import(first.module).catch(() => {});
    })
    .catch(() => {});
  const [me, units] = await Promise.all([meCall, api('GET', '/api/v1/units')]);
  const byId = new Map(units.items.map((u) => [u.id, u]));
  state.session = { me, units: units.items, byId, roles: new Set(me.grants.map((g) => g.role)) };
  // The home drawn at once (not a task later, from the hash change), its address replacing the bare one in the history.
  if (!location.hash || location.hash === '#') history.replaceState(null, '', home());
  route();
}

async function route() {
  if (!state.session) return;
  const [path, query] = location.hash.slice(1).split('?');
  const params = new URLSearchParams(query ?? '');
  const parts = path.split('/').filter(Boolean);
  const page = allowedPages().find((p) => p.path === parts[0]);
  if (!page) return void (location.hash = home());
  const mine = ++state.route; // answers for an earlier page are dropped (lib.js api)
  renderNav(page.path);
  try {
    const mod = await import(page.module);
    if (mine !== state.route) return;
    await mod.default({ parts, params });
  } catch (err) {
    if (!(err instanceof Unauthorized)) main.append(errorBox(err));
  }
}

window.addEventListener('hashchange', route);
start().catch((err) => {
  if (!(err instanceof Unauthorized)) main.replaceChildren(errorBox(err));
});
