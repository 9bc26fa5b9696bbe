/* app.js — netautod's web page (issue 19): sign-in with an API token (kept in this page's
 * memory only, sent as `Authorization: Bearer`: no cookie, so no cross-site request can carry
 * it), and the pages: jobs (live), a job, hosts, a host (backups and their diff), schedules,
 * compare. What the token's scopes may not do is not offered (GET /v1/whoami). Builds the DOM
 * with createElement and textContent only (never innerHTML): device output cannot become markup.
 * Long lists (a job's hosts, the inventory) are virtualised: only the rows in view exist.
 * Not a framework: a hash router, a DOM helper, a streaming event-stream reader. */
'use strict';

const S = { token: null, name: null, scopes: [], timers: [], aborts: [] };

/* ---- small helpers ------------------------------------------------------------------------ */

function h(tag, attrs, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const k of kids.flat()) {
    if (k === null || k === undefined || k === false) continue;
    el.append(k instanceof Node ? k : String(k));
  }
  return el;
}

const can = (scope) => S.scopes.includes(scope) || S.scopes.includes('admin');
const main = () => document.getElementById('main');
const enc = encodeURIComponent;

function when(t) {
  if (t === null || t === undefined) return '';
  const d = typeof t === 'number' ? new Date(t) : new Date(t);
  return isNaN(d) ? String(t) : d.toLocaleString();
}

function ms(v) { return v === null || v === undefined ? '' : v + ' ms'; }

class ApiError extends Error {
  constructor(status, msg) { super(msg); this.status = status; }
}

async function api(method, path, body) {
  const opt = { method, headers: { Authorization: 'Bearer ' + S.token }, cache: 'no-store' };
  if (body !== undefined) {
    opt.headers['Content-Type'] = 'application/json';
    opt.body = JSON.stringify(body);
  }
  const r = await fetch(path, opt);
  let j = null;
  try { j = await r.json(); } catch (e) { j = null; }
  if (r.status === 401 && S.name) { signOut('The daemon refused the token (revoked?): sign in again.'); }
  if (!r.ok) throw new ApiError(r.status, (j && j.error) || r.statusText);
  return j;
}

function errorBox(e) { return h('p', { class: 'err', role: 'alert' }, String(e.message || e)); }

/* Timers and streams belong to the page shown; leaving it stops them. */
function every(fn, msDelay) { S.timers.push(setInterval(fn, msDelay)); }
function leavePage() {
  S.timers.forEach(clearInterval);
  S.aborts.forEach((a) => a.abort());
  S.timers = [];
  S.aborts = [];
}

/* A job's event stream (text/event-stream) read with fetch, since EventSource cannot send the
 * Authorization header. Reconnects with Last-Event-ID until the job ends or the page changes. */
function follow(jobId, onEvent) {
  const ac = new AbortController();
  S.aborts.push(ac);
  let last = null, done = false;
  const run = async () => {
    while (!done && !ac.signal.aborted) {
      try {
        const headers = { Authorization: 'Bearer ' + S.token };
        if (last !== null) headers['Last-Event-ID'] = String(last);
        const r = await fetch('/v1/jobs/' + jobId + '/events', { headers, signal: ac.signal });
        if (!r.ok) return;
        const rd = r.body.getReader();
        const dec = new TextDecoder();
        let buf = '', ev = {};
        for (;;) {
          const { value, done: end } = await rd.read();
          if (end) break;
          buf += dec.decode(value, { stream: true });
          let i;
          while ((i = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, i).replace(/\r$/, '');
            buf = buf.slice(i + 1);
            if (line === '') {
              if (ev.data !== undefined) {
                if (ev.id !== undefined) last = ev.id;
                let data = null;
                try { data = JSON.parse(ev.data); } catch (e) { data = null; }
                if (ev.event === 'job_finished') done = true;
                onEvent(ev.event || 'message', data);
              }
              ev = {};
            } else if (!line.startsWith(':')) {
              const c = line.indexOf(':');
              const k = c < 0 ? line : line.slice(0, c);
              const v = c < 0 ? '' : line.slice(c + 1).replace(/^ /, '');
              if (k === 'data') ev.data = ev.data === undefined ? v : ev.data + '\n' + v;
              else ev[k] = v;
            }
          }
        }
      } catch (e) {
        if (ac.signal.aborted) return;
      }
      if (!done) await new Promise((res) => setTimeout(res, 1000));
    }
  };
  run();
  return ac;
}

/* A virtualised list: `rows` items of 28 px, only those in view (and a few more) in the DOM.
 * render(i) returns the row's content element; refresh() redraws after the data changed. */
function vlist(count, render, opts) {
  const ROW = 28, EXTRA = 10;
  const box = h('div', { class: 'vlist', role: 'list', 'aria-label': (opts && opts.label) || 'list' });
  const spacer = h('div', {});
  box.append(spacer);
  let n = count, drawn = new Map(), pending = false;
  const draw = () => {
    pending = false;
    spacer.style.height = n * ROW + 'px';
    box.style.height = Math.min(420, Math.max(2, n) * ROW + 2) + 'px';
    const first = Math.max(0, Math.floor(box.scrollTop / ROW) - EXTRA);
    const last = Math.min(n, Math.ceil((box.scrollTop + (box.clientHeight || 420)) / ROW) + EXTRA);
    for (const [i, el] of drawn) {
      if (i < first || i >= last) { el.remove(); drawn.delete(i); }
    }
    for (let i = first; i < last; i++) {
      const old = drawn.get(i);
      const el = render(i);
      el.classList.add('row');
      el.setAttribute('role', 'listitem');
      el.style.top = i * ROW + 'px';
      if (old) old.replaceWith(el); else box.append(el);
      drawn.set(i, el);
    }
    if (opts && opts.onDraw) opts.onDraw(first, last);
  };
  const refresh = () => { if (!pending) { pending = true; requestAnimationFrame(draw); } };
  box.addEventListener('scroll', refresh);
  return {
    el: box, refresh, drawNow: draw,
    setCount(c) { n = c; refresh(); },
    rendered() { return drawn.size; },
  };
}

/* A line diff (Myers' O(ND) algorithm) as unified-diff-like lines: [' '|'+'|'-', text]. */
function diffLines(a, b) {
  const A = a.split('\n'), B = b.split('\n');
  const N = A.length, M = B.length, MAX = N + M, off = MAX + 1;
  const V = new Int32Array(2 * MAX + 3), trace = [];
  let found = false;
  for (let d = 0; d <= MAX && !found; d++) {
    trace.push(V.slice());
    for (let k = -d; k <= d; k += 2) {
      let x = (k === -d || (k !== d && V[off + k - 1] < V[off + k + 1])) ? V[off + k + 1] : V[off + k - 1] + 1;
      let y = x - k;
      while (x < N && y < M && A[x] === B[y]) { x++; y++; }
      V[off + k] = x;
      if (x >= N && y >= M) { found = true; break; }
    }
  }
  const out = [];
  let x = N, y = M;
  for (let d = trace.length - 1; d >= 0; d--) {
    const v = trace[d], k = x - y;
    const prevK = (k === -d || (k !== d && v[off + k - 1] < v[off + k + 1])) ? k + 1 : k - 1;
    const px = v[off + prevK], py = px - prevK;
    while (x > px && y > py) { out.push([' ', A[--x]]); y--; }
    if (d > 0) {
      if (x === px) out.push(['+', B[--y]]);
      else out.push(['-', A[--x]]);
    }
    x = px; y = py;
  }
  return out.reverse();
}

/* The diff shown with 3 lines of context around each change. */
function diffView(lines) {
  const pre = h('pre', { class: 'diff' });
  const changed = lines.map((l) => l[0] !== ' ');
  if (!changed.some(Boolean)) { pre.append(h('span', { class: 'hunk' }, '(no difference)')); return pre; }
  let lastShown = -1;
  lines.forEach(([t, s], i) => {
    let near = false;
    for (let j = Math.max(0, i - 3); j <= Math.min(lines.length - 1, i + 3); j++) if (changed[j]) near = true;
    if (!near) return;
    if (lastShown >= 0 && i > lastShown + 1) pre.append(h('span', { class: 'hunk' }, '...'));
    lastShown = i;
    pre.append(h('span', { class: t === '+' ? 'add' : t === '-' ? 'del' : 'ctx' }, t + ' ' + s + '\n'));
  });
  return pre;
}

/* ---- sign-in ------------------------------------------------------------------------------- */

function signOut(why) {
  S.token = null;
  S.name = null;
  S.scopes = [];
  leavePage();
  showSignIn(why);
}

function showSignIn(why) {
  document.getElementById('nav').replaceChildren();
  document.getElementById('who').replaceChildren();
  const input = h('input', { id: 'token', type: 'password', autocomplete: 'off', required: true,
                             'aria-label': 'API token', placeholder: 'nat_...' });
  const msg = h('p', { class: 'err', role: 'alert' }, why || '');
  const form = h('form', { class: 'signin', id: 'signin' },
    h('h1', {}, 'Sign in to netautod'),
    h('p', { class: 'mut' }, 'Paste an API token (made with ', h('code', {}, 'netautod token add'),
      '). It stays in this tab\'s memory only and is sent with each request; closing or reloading the tab signs you out.'),
    h('label', {}, 'API token', input), h('p', {}, h('button', { class: 'primary', type: 'submit' }, 'Sign in')), msg);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    S.token = input.value.trim();
    try {
      const me = await api('GET', '/v1/whoami');
      S.name = me.name;
      S.scopes = me.scopes;
      signedIn();
    } catch (e) {
      S.token = null;
      msg.textContent = e.status === 401 ? 'The daemon does not know this token.' : String(e.message);
    }
  });
  main().replaceChildren(form);
  input.focus();
}

const PAGES = [
  ['jobs', 'Jobs'], ['hosts', 'Hosts'], ['schedules', 'Schedules'], ['compare', 'Compare', 'commands'],
  ['terminal', 'Terminal', 'commands'],
];

function signedIn() {
  const nav = document.getElementById('nav');
  nav.replaceChildren(...PAGES.filter((p) => !p[2] || can(p[2]))
    .map(([id, label]) => h('a', { href: '#/' + id, 'data-page': id }, label)));
  document.getElementById('who').replaceChildren(
    h('span', { id: 'whoname' }, S.name + ' (' + S.scopes.join(', ') + ') '),
    h('button', { id: 'signout', onclick: () => signOut('Signed out.') }, 'Sign out'));
  if (!location.hash || location.hash === '#/') location.hash = '#/jobs';
  route();
}

/* ---- router ------------------------------------------------------------------------------ */

function route() {
  if (!S.token) return;
  leavePage();
  const parts = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  const page = parts[0] || 'jobs';
  for (const a of document.querySelectorAll('#nav a')) a.classList.toggle('cur', a.dataset.page === page ||
    (page === 'job' && a.dataset.page === 'jobs') || (page === 'host' && a.dataset.page === 'hosts'));
  const fn = { jobs: pageJobs, job: pageJob, hosts: pageHosts, host: pageHost, schedules: pageSchedules,
               compare: pageCompare, terminal: pageTerminal }[page];
  const m = main();
  m.replaceChildren(h('p', { class: 'mut' }, 'Loading...'));
  if (!fn) { m.replaceChildren(h('p', {}, 'No such page.')); return; }
  fn(m, ...parts.slice(1)).catch((e) => m.replaceChildren(errorBox(e)));
}
window.addEventListener('hashchange', route);

/* ---- jobs ---------------------------------------------------------------------------------- */

function jobWhat(j) {
  const q = j.request || {};
  if (q.playbook) return q.playbook;
  if (q.inline) return 'inline playbook (' + q.bytes + ' bytes)';
  if (q.backup) return 'backup: ' + q.backup + (q.schedule ? ' (' + q.schedule + ')' : '');
  return j.kind;
}

function summaryText(s) {
  if (!s) return '';
  return (s.finished || 0) + '/' + s.targets + ' done, ' + (s.ok || 0) + ' ok, ' + (s.failed || 0) + ' failed' +
    (s.changed ? ', ' + s.changed + ' changed' : '');
}

async function pageJobs(m) {
  const fState = h('select', { id: 'f-state', 'aria-label': 'state' },
    ['', 'queued', 'running', 'succeeded', 'failed', 'cancelled', 'interrupted'].map((s) => h('option', { value: s }, s || 'any state')));
  const fPb = h('input', { id: 'f-playbook', placeholder: 'playbook', 'aria-label': 'playbook filter' });
  const fUser = h('input', { id: 'f-user', placeholder: 'submitted by', 'aria-label': 'user filter' });
  const tbody = h('tbody', { id: 'jobs-body' });
  const status = h('p', { class: 'mut', id: 'jobs-status' });
  const parts = [h('h1', {}, 'Jobs')];
  if (can('run')) parts.push(runForm());
  parts.push(h('div', { class: 'bar' }, h('label', {}, 'state', fState), h('label', {}, 'playbook', fPb),
    h('label', {}, 'submitted by', fUser)));
  parts.push(h('table', {}, h('thead', {}, h('tr', {}, ['job', 'what', 'state', 'by', 'created', 'hosts'].map((t) => h('th', {}, t)))), tbody), status);
  m.replaceChildren(...parts);
  let jobs = [];
  const draw = () => {
    const pb = fPb.value.trim().toLowerCase(), u = fUser.value.trim().toLowerCase();
    const shown = jobs.filter((j) => (!pb || jobWhat(j).toLowerCase().includes(pb)) &&
                                     (!u || (j.submitted_by || '').toLowerCase().includes(u)));
    tbody.replaceChildren(...shown.map((j) => h('tr', { 'data-job': j.id },
      h('td', {}, h('a', { href: '#/job/' + j.id }, '#' + j.id)), h('td', {}, jobWhat(j)),
      h('td', { class: 'state s-' + j.state }, j.state), h('td', {}, j.submitted_by || ''),
      h('td', {}, when(j.created)), h('td', {}, summaryText(j.summary)))));
    status.textContent = shown.length + ' of ' + jobs.length + ' jobs shown';
  };
  /* The list comes from GET /v1/jobs; jobs still queued or running are followed on their event
   * streams (live; the 3 newest), and the list is fetched again every 5 s (new jobs: the daemon
   * has no stream of all jobs). */
  const followed = new Map();
  const load = async () => {
    const q = fState.value ? '?state=' + enc(fState.value) + '&limit=500' : '?limit=500';
    jobs = (await api('GET', '/v1/jobs' + q)).jobs;
    draw();
    for (const j of jobs) {
      /* at most 3 streams: a browser keeps 6 HTTP/1.1 connections per server, and every other
       * request of the page needs one too (the other jobs' rows follow the 5 s refresh) */
      if ((j.state === 'queued' || j.state === 'running') && !followed.has(j.id) && followed.size < 3) {
        followed.set(j.id, follow(j.id, (type, d) => {
          const row = jobs.find((x) => x.id === j.id);
          if (!row || !d) return;
          if (type === 'job_started') row.state = 'running';
          if (type === 'host_finished') {
            row.summary = row.summary || { targets: 0 };
            row.summary.finished = (row.summary.finished || 0) + 1;
            if (d.result && d.result.ok) row.summary.ok = (row.summary.ok || 0) + 1;
            else row.summary.failed = (row.summary.failed || 0) + 1;
          }
          if (type === 'job_finished') { row.state = d.state; row.summary = d.summary; followed.delete(j.id); }
          draw();
        }));
      }
    }
  };
  fState.addEventListener('change', () => load().catch((e) => status.replaceWith(errorBox(e))));
  fPb.addEventListener('input', draw);
  fUser.addEventListener('input', draw);
  await load();
  every(() => load().catch(() => {}), 5000);
}

function runForm() {
  const pb = h('input', { id: 'run-playbook', required: true, placeholder: 'vlans', 'aria-label': 'playbook' });
  const lim = h('input', { id: 'run-limit', placeholder: 'all hosts', 'aria-label': 'limit' });
  const chk = h('input', { id: 'run-check', type: 'checkbox' });
  const msg = h('span', { class: 'err', role: 'alert' });
  const f = h('form', { class: 'bar panel', id: 'run-form' },
    h('label', {}, 'playbook (in playbook_dir)', pb), h('label', {}, 'limit', lim),
    h('label', {}, 'check (dry run)', chk), h('button', { class: 'primary', type: 'submit', id: 'run-button' }, 'Run'), msg);
  f.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    msg.textContent = '';
    const body = { playbook: pb.value.trim(), check: chk.checked };
    if (lim.value.trim()) body.limit = lim.value.trim();
    try {
      const r = await api('POST', '/v1/jobs', body);
      location.hash = '#/job/' + r.id;
    } catch (e) { msg.textContent = e.message; }
  });
  return f;
}

async function pageJob(m, id) {
  const job = await api('GET', '/v1/jobs/' + enc(id));
  const targets = job.targets || [];
  const hosts = new Map(targets.map((n) => [n, { status: 'pending' }]));
  for (const [n, r] of Object.entries(job.hosts || {})) hosts.set(n, { status: r.ok ? 'ok' : 'failed', result: r });
  const names = [...hosts.keys()];
  const stateEl = h('span', { id: 'job-state', class: 'state s-' + job.state }, job.state);
  const counts = h('p', { class: 'counts', id: 'job-counts' });
  const errEl = h('p', { class: 'err', id: 'job-error' }, job.error ? String(job.error.message || job.error) : '');
  const detail = h('div', { class: 'panel', id: 'host-detail' }, h('p', { class: 'mut' }, 'Select a host to see its tasks.'));
  const actions = h('div', { class: 'bar' });
  let selected = null;
  const q = job.request || {};

  const recount = () => {
    let ok = 0, failed = 0, running = 0, changed = 0;
    for (const v of hosts.values()) {
      if (v.status === 'ok') ok++;
      else if (v.status === 'failed') failed++;
      else if (v.status === 'running') running++;
      if (v.result && v.result.changed) changed++;
    }
    counts.replaceChildren(h('span', {}, names.length + ' hosts'), h('span', { class: 's-ok' }, ok + ' ok'),
      h('span', { class: 's-failed' }, failed + ' failed'), h('span', { class: 's-running' }, running + ' running'),
      h('span', { class: 'chg' }, changed + ' changed'),
      h('span', { class: 'mut' }, (names.length - ok - failed - running) + ' waiting'));
  };
  const list = vlist(names.length, (i) => {
    const n = names[i], v = hosts.get(n), r = v.result || {};
    return h('a', { href: '#/job/' + id + '/' + enc(n), class: n === selected ? 'sel' : '', 'data-host': n,
                    onclick: (ev) => { ev.preventDefault(); select(n); } },
      h('span', { class: 'c-name' }, n), h('span', { class: 'c-st state s-' + v.status }, v.status),
      h('span', { class: 'chg c-st' }, r.changed ? 'changed' : ''), h('span', { class: 'c-ms' }, ms(r.elapsed_ms)),
      h('span', { class: 'c-wide err' }, r.error ? String(r.error.message || r.error) : ''));
  }, { label: 'hosts of the job' });

  const select = (n) => {
    selected = n;
    list.refresh();
    const v = hosts.get(n);
    const r = v.result;
    const parts = [h('h2', {}, n + ' ', h('span', { class: 'state s-' + v.status }, v.status))];
    if (r) {
      parts.push(h('p', { class: 'mut' }, [r.transport, r.platform, ms(r.elapsed_ms)].filter(Boolean).join(' · ')));
      if (r.error) parts.push(h('p', { class: 'err' }, String(r.error.message || r.error)));
      for (const t of r.tasks || []) {
        parts.push(h('div', { class: 'task' },
          h('strong', {}, t.name || t.action), ' ',
          h('span', { class: 'state s-' + (t.skipped ? 'skipped' : t.ok ? 'ok' : 'failed') }, t.skipped ? 'skipped' : t.ok ? 'ok' : 'failed'),
          t.changed ? h('span', { class: 'chg' }, ' changed') : null, h('span', { class: 'mut' }, ' ' + ms(t.elapsed_ms)),
          t.error ? h('p', { class: 'err' }, String(t.error.message || t.error)) : null,
          t.diff ? h('pre', { class: 'diff' }, ...String(t.diff).split('\n').map((l) =>
            h('span', { class: l.startsWith('+') ? 'add' : l.startsWith('-') ? 'del' : 'ctx' }, l + '\n'))) : null,
          t.output ? h('pre', { class: 'output' }, t.output) : null));
      }
    } else {
      parts.push(h('p', { class: 'mut' }, 'No result yet.'));
    }
    detail.replaceChildren(...parts);
  };

  let actionsKey = null;
  const drawActions = () => {
    const live = job.state === 'queued' || job.state === 'running';
    const failedHosts = names.filter((n) => hosts.get(n).status === 'failed');
    /* redrawn only when the offer changes: a button made again would lose the keyboard focus */
    const key = live + '/' + (live ? 0 : failedHosts.length);
    if (key === actionsKey) return;
    actionsKey = key;
    actions.replaceChildren();
    if (can('run') && live) {
      actions.append(h('button', { class: 'danger', id: 'cancel', onclick: async () => {
        try { await api('DELETE', '/v1/jobs/' + id); } catch (e) { errEl.textContent = e.message; }
      } }, 'Cancel job'));
    }
    /* a secret var is stored masked: re-running would send the mask, so it is not offered */
    const masked = JSON.stringify(q.vars || {}).includes('"********"');
    if (can('run') && !live && failedHosts.length && q.playbook && masked) {
      actions.append(h('span', { class: 'mut' }, 'Re-run: this job had secret vars (stored masked); submit it again with them.'));
    }
    if (can('run') && !live && failedHosts.length && q.playbook && !masked) {
      actions.append(h('button', { id: 'rerun', onclick: async () => {
        try {
          const r = await api('POST', '/v1/jobs', { playbook: q.playbook, limit: failedHosts.join(','),
                                                   check: !!q.check, vars: q.vars || {} });
          location.hash = '#/job/' + r.id;
        } catch (e) { errEl.textContent = e.message; }
      } }, 'Re-run the ' + failedHosts.length + ' failed hosts'));
    }
  };

  m.replaceChildren(h('h1', {}, 'Job #' + job.id + ' ', stateEl),
    h('p', { class: 'mut' }, jobWhat(job) + (q.limit ? ' · limit ' + q.limit : '') + (q.check ? ' · check' : '') +
      ' · by ' + (job.submitted_by || '?') + ' · created ' + when(job.created)),
    counts, errEl, actions, list.el, detail);
  list.drawNow();
  recount();
  drawActions();

  let redraw = false;
  if (job.state === 'queued' || job.state === 'running') {
    /* Live: everything after what GET returned comes from the event stream (the stream replays
     * from the start; a replayed host_finished for a known host is simply applied again). */
    follow(id, (type, d) => {
      if (!d) return;
      if (type === 'job_started') { job.state = 'running'; }
      if (type === 'host_started' && hosts.has(d.host) && !hosts.get(d.host).result) hosts.get(d.host).status = 'running';
      if (type === 'host_finished' && hosts.has(d.host)) {
        hosts.set(d.host, { status: d.result && d.result.ok ? 'ok' : 'failed', result: d.result });
        if (selected === d.host) select(d.host);
      }
      if (type === 'job_finished') {
        job.state = d.state;
        if (d.error) errEl.textContent = String(d.error.message || d.error);
      }
      /* at most one redraw a frame: a job of thousands of hosts sends thousands of events */
      if (!redraw) {
        redraw = true;
        requestAnimationFrame(() => {
          redraw = false;
          stateEl.textContent = job.state;
          stateEl.className = 'state s-' + job.state;
          recount();
          drawActions();
          list.refresh();
        });
      }
    });
  }
}

/* ---- hosts --------------------------------------------------------------------------------- */

async function pageHosts(m) {
  const inv = await api('GET', '/v1/inventory');
  const all = Object.keys(inv.hosts || {}).sort();
  const filter = h('input', { id: 'f-host', placeholder: 'filter', 'aria-label': 'host filter' });
  let names = all;
  /* Status and last backup are fetched for the rows in view only (a request each, cached). */
  const extra = new Map();
  const fetchExtra = (n) => {
    if (extra.has(n)) return;
    extra.set(n, null);
    Promise.all([api('GET', '/v1/hosts/' + enc(n)), api('GET', '/v1/backups/' + enc(n)).catch(() => null)])
      .then(([hs, bk]) => { extra.set(n, { hs, bk }); list.refresh(); })
      .catch(() => extra.delete(n));
  };
  const list = vlist(names.length, (i) => {
    const n = names[i], s = inv.hosts[n] || {}, x = extra.get(n);
    const st = x && x.hs.status ? x.hs.status : null;
    const reach = !st ? '' : st.reachable === true ? 'ok' : st.reachable === false ? 'unreachable' : 'never tried';
    const last = x && x.bk && x.bk.backups && x.bk.backups.length ? x.bk.backups[0] : null;
    return h('a', { href: '#/host/' + enc(n), 'data-host': n },
      h('span', { class: 'c-name' }, n), h('span', { class: 'c-name mut' }, (s.host || '') + ' ' + (s.platform || '')),
      h('span', { class: 'c-st' }, s.transport || ''),
      h('span', { class: 'c-st state s-' + (reach === 'ok' ? 'ok' : reach === 'unreachable' ? 'failed' : 'pending') }, reach),
      h('span', { class: 'c-st' }, st ? st.sessions + ' sess.' : ''),
      h('span', { class: 'c-name mut' }, last ? 'backup ' + when(last.time) : ''),
      h('span', { class: 'c-wide err' }, st && st.last_error ? st.last_error : ''));
  }, { label: 'hosts', onDraw: (a, b) => { for (let i = a; i < b; i++) fetchExtra(names[i]); } });
  filter.addEventListener('input', () => {
    const f = filter.value.trim().toLowerCase();
    names = f ? all.filter((n) => n.toLowerCase().includes(f)) : all;
    list.setCount(names.length);
  });
  m.replaceChildren(h('h1', {}, 'Hosts'),
    h('p', { class: 'mut' }, all.length + ' hosts in ' + (inv.inventory || 'the inventory') + ' (generation ' + inv.generation + ')'),
    h('div', { class: 'bar' }, h('label', {}, 'filter', filter)), list.el);
  list.drawNow();
}

async function pageHost(m, name) {
  const [hs, bk] = await Promise.all([api('GET', '/v1/hosts/' + enc(name)), api('GET', '/v1/backups/' + enc(name))]);
  const st = hs.status || {}, lock = hs.lock || {}, set = hs.host || {};
  const backups = bk.backups || [];
  const parts = [h('h1', {}, name),
    h('table', {}, h('tbody', {},
      h('tr', {}, h('th', {}, 'address'), h('td', {}, String(set.host || '')), h('th', {}, 'platform'), h('td', {}, String(set.platform || ''))),
      h('tr', {}, h('th', {}, 'reachable'), h('td', {}, st.reachable === null || st.reachable === undefined ? 'never tried' : String(st.reachable)),
        h('th', {}, 'last seen'), h('td', {}, when(st.last_seen))),
      h('tr', {}, h('th', {}, 'sessions'), h('td', {}, String(st.sessions ?? '') + ' (' + (st.idle_sessions ?? 0) + ' idle)'),
        h('th', {}, 'lock'), h('td', {}, lock.holder ? lock.holder + ' for ' + lock.held_ms + ' ms, ' + lock.waiting + ' waiting' : 'free')),
      h('tr', {}, h('th', {}, 'last error'), h('td', { class: 'err', colspan: 3 }, st.last_error || '')))),
    h('h2', {}, 'Backups (' + backups.length + ')')];
  if (!backups.length) {
    parts.push(h('p', { class: 'mut' }, 'No backups of this host yet (a schedule with backup: makes them).'));
    m.replaceChildren(...parts);
    return;
  }
  const opt = (b) => h('option', { value: b.id }, '#' + b.id + ' ' + when(b.time) + ' · ' + b.command + (b.changed ? ' · changed' : '') + ' · ' + b.bytes + ' B');
  const selA = h('select', { id: 'bk-a', 'aria-label': 'older backup' }, backups.map(opt));
  const selB = h('select', { id: 'bk-b', 'aria-label': 'newer backup' }, backups.map(opt));
  selB.value = String(backups[0].id);
  selA.value = String(backups[Math.min(1, backups.length - 1)].id);
  const out = h('div', { id: 'bk-diff' });
  const texts = new Map();
  const text = async (bid) => {
    if (!texts.has(bid)) texts.set(bid, (await api('GET', '/v1/backups/' + enc(name) + '/' + bid)).text || '');
    return texts.get(bid);
  };
  const show = async () => {
    out.replaceChildren(h('p', { class: 'mut' }, 'Loading...'));
    try {
      const [a, b] = await Promise.all([text(selA.value), text(selB.value)]);
      out.replaceChildren(h('p', { class: 'mut' }, 'Changes from #' + selA.value + ' to #' + selB.value + ':'),
        diffView(diffLines(a, b)), h('details', {}, h('summary', {}, 'Backup #' + selB.value + ' in full'), h('pre', {}, b)));
    } catch (e) { out.replaceChildren(errorBox(e)); }
  };
  selA.addEventListener('change', show);
  selB.addEventListener('change', show);
  parts.push(h('div', { class: 'bar' }, h('label', {}, 'from', selA), h('label', {}, 'to', selB)), out);
  const jobsOf = [...new Set(backups.map((b) => b.job_id).filter(Boolean))].slice(0, 20);
  if (jobsOf.length) parts.push(h('h2', {}, 'Recent backup jobs'), h('p', {}, jobsOf.map((j) => [h('a', { href: '#/job/' + j }, '#' + j), ' '])));
  m.replaceChildren(...parts);
  await show();
}

/* ---- schedules ----------------------------------------------------------------------------- */

async function pageSchedules(m) {
  const sc = (await api('GET', '/v1/schedules')).schedules || [];
  const msg = h('p', { class: 'err', role: 'alert' });
  m.replaceChildren(h('h1', {}, 'Schedules'), msg, sc.length ? h('table', {},
    h('thead', {}, h('tr', {}, ['name', 'cron', 'kind', 'next run', 'running job', ''].map((t) => h('th', {}, t)))),
    h('tbody', {}, sc.map((s) => h('tr', { 'data-schedule': s.name },
      h('td', {}, s.name), h('td', {}, h('code', {}, s.cron)), h('td', {}, s.kind + (s.backup ? ': ' + s.backup : s.playbook ? ': ' + s.playbook : '')),
      h('td', {}, when(s.next)), h('td', {}, s.running_job ? h('a', { href: '#/job/' + s.running_job }, '#' + s.running_job) : ''),
      h('td', {}, can('run') ? h('button', { onclick: async () => {
        try { const r = await api('POST', '/v1/schedules/' + enc(s.name) + '/run'); location.hash = '#/job/' + r.id; }
        catch (e) { msg.textContent = e.message; }
      } }, 'Run now') : null))))) : h('p', { class: 'mut' }, 'No schedules in the configuration.'));
}

/* ---- compare ------------------------------------------------------------------------------- */

/* The same commands over Telnet and then over SSH (POST /v1/commands with each transport; the
 * device's lock makes them one after another), shown as a bar chart of the timings the daemon
 * measured (the whole request, and each command), with the bytes of output and their diff. */
async function pageCompare(m, host) {
  const inv = await api('GET', '/v1/inventory');
  const names = Object.keys(inv.hosts || {}).sort();
  const sel = h('input', { id: 'cmp-host', list: 'cmp-hosts', value: host || names[0] || '', 'aria-label': 'host' });
  const dl = h('datalist', { id: 'cmp-hosts' }, names.slice(0, 1000).map((n) => h('option', { value: n })));
  const cmd = h('input', { id: 'cmp-cmd', value: 'show vlan brief', 'aria-label': 'command', size: 30 });
  const out = h('div', { id: 'cmp-out' });
  const f = h('form', { class: 'bar', id: 'cmp-form' }, h('label', {}, 'host', sel), dl, h('label', {}, 'command', cmd),
    h('button', { class: 'primary', type: 'submit', id: 'cmp-run' }, 'Compare Telnet and SSH'));
  f.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    out.replaceChildren(h('p', { class: 'mut' }, 'Running over Telnet, then SSH...'));
    try {
      const res = {};
      for (const t of ['telnet', 'ssh'])
        res[t] = await api('POST', '/v1/commands', { host: sel.value.trim(), transport: t, commands: [cmd.value] });
      out.replaceChildren(...compareView(res));
    } catch (e) { out.replaceChildren(errorBox(e)); }
  });
  m.replaceChildren(h('h1', {}, 'Compare Telnet and SSH'),
    h('p', { class: 'mut' }, 'Runs the command on the device over Telnet, then over SSH, through the daemon\'s sessions; a new session\'s login is timed phase by phase (a pooled one is reused: no login to time).'),
    f, out);
}

function compareView(res) {
  const T = ['telnet', 'ssh'];
  const phases = [];
  /* a new session's login, phase by phase (null for a pooled one: nothing to time) */
  const lg = (name) => (r) => (r.login && typeof r.login[name] === 'number' ? Math.round(r.login[name] * 10) / 10 : 0);
  if (T.some((t) => res[t].login)) {
    for (const p of ['resolve', 'connect', 'negotiate', 'auth', 'shell', 'open'])
      phases.push([p === 'open' ? 'login (all)' : 'login: ' + p, lg(p)]);
  }
  phases.push(['request (all)', (r) => r.elapsed_ms]);
  (res.ssh.commands || []).forEach((c, i) => phases.push([c.command, (r) => ((r.commands || [])[i] || {}).elapsed_ms]));
  const max = Math.max(1, ...phases.flatMap(([, f]) => T.map((t) => f(res[t]) || 0)));
  const W = 720, LBL = 170, BAR = 14, GAP = 10;
  const H = phases.length * (2 * BAR + GAP) + 24;
  const NS = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(NS, 'svg');
  svg.setAttribute('class', 'chart');
  svg.setAttribute('id', 'cmp-chart');
  svg.setAttribute('width', W);
  svg.setAttribute('height', H);
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', 'timings over Telnet and SSH');
  const add = (tag, at, text) => {
    const e = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(at)) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    svg.append(e);
    return e;
  };
  phases.forEach(([label, f], i) => {
    const y = i * (2 * BAR + GAP) + 4;
    add('text', { x: 0, y: y + BAR + 4 }, label.length > 24 ? label.slice(0, 23) + '…' : label);
    T.forEach((t, k) => {
      const v = f(res[t]) || 0;
      const w = Math.max(1, (W - LBL - 70) * v / max);
      add('rect', { x: LBL, y: y + k * BAR, width: w, height: BAR - 2, class: 'b-' + t, 'data-ms': v });
      add('text', { x: LBL + w + 4, y: y + k * BAR + BAR - 3 }, v + ' ms');
    });
  });
  const rows = T.map((t) => {
    const r = res[t];
    const bytes = (r.commands || []).reduce((n, c) => n + new TextEncoder().encode(c.output || '').length, 0);
    const wire = r.login && r.login.wire_bytes ? r.login.wire_bytes.in + ' in / ' + r.login.wire_bytes.out + ' out' : '';
    return h('tr', {}, h('td', {}, t), h('td', { class: 'state s-' + (r.ok ? 'ok' : 'failed') }, r.ok ? 'ok' : 'failed'),
      h('td', {}, r.session), h('td', {}, ms(r.elapsed_ms)), h('td', {}, bytes + ' B'), h('td', {}, wire),
      h('td', { class: 'err' }, r.error ? r.error.message : ''));
  });
  const outT = (res.telnet.commands || []).map((c) => c.output || '').join('\n');
  const outS = (res.ssh.commands || []).map((c) => c.output || '').join('\n');
  return [h('p', { class: 'legend' }, h('span', {}, h('i', { class: 'sw sw-telnet' }), 'Telnet'), h('span', {}, h('i', { class: 'sw sw-ssh' }), 'SSH')),
    svg,
    h('table', {}, h('thead', {}, h('tr', {}, ['transport', 'result', 'session', 'elapsed', 'output', 'wire bytes', 'error'].map((x) => h('th', {}, x)))), h('tbody', {}, rows)),
    h('h2', {}, 'Output: Telnet → SSH'), diffView(diffLines(outT, outS)),
    h('details', {}, h('summary', {}, 'SSH output'), h('pre', { id: 'cmp-ssh-out' }, outS))];
}

/* ---- terminal ------------------------------------------------------------------------------ */

/* xterm.js (from npm, committed built) is loaded the first time a terminal is opened. Its DOM
 * renderer makes two <style> elements: they get the page's CSP nonce (index.html) as they are
 * created, since the policy allows no other inline style. */
let xtermLoading = null;
function loadXterm() {
  if (window.Terminal) return Promise.resolve();
  if (!xtermLoading) {
    xtermLoading = new Promise((res, rej) => {
      const sc = h('script', { src: '/ui/xterm.js' });
      sc.addEventListener('load', res);
      sc.addEventListener('error', () => rej(new Error('cannot load the terminal emulator')));
      document.head.append(sc);
    });
  }
  return xtermLoading;
}

function withStyleNonce(fn) {
  const meta = document.querySelector('meta[name="style-nonce"]');
  const nonce = meta ? meta.content : '';
  const orig = Document.prototype.createElement;
  Document.prototype.createElement = function (tag, o) {
    const el = orig.call(this, tag, o);
    if (String(tag).toLowerCase() === 'style') el.nonce = nonce;
    return el;
  };
  try { return fn(); } finally { Document.prototype.createElement = orig; }
}

async function pageTerminal(m, host) {
  const inv = await api('GET', '/v1/inventory');
  const names = Object.keys(inv.hosts || {}).sort();
  const sel = h('input', { id: 'term-host', list: 'term-hosts', value: host || names[0] || '', 'aria-label': 'host' });
  const dl = h('datalist', { id: 'term-hosts' }, names.slice(0, 1000).map((n) => h('option', { value: n })));
  const tr = h('select', { id: 'term-transport', 'aria-label': 'transport' },
    h('option', { value: '' }, "the host's transport"), h('option', { value: 'ssh' }, 'ssh'), h('option', { value: 'telnet' }, 'telnet'));
  const st = h('p', { id: 'term-status', class: 'mut', role: 'status' }, 'Not connected.');
  const box = h('div', { id: 'term', class: 'term' });
  const closeBtn = h('button', { id: 'term-close', type: 'button', disabled: true }, 'Disconnect');
  const f = h('form', { class: 'bar', id: 'term-form' }, h('label', {}, 'host', sel), dl, h('label', {}, 'transport', tr),
    h('button', { class: 'primary', type: 'submit', id: 'term-open' }, 'Connect'), closeBtn);
  m.replaceChildren(h('h1', {}, 'Terminal'),
    h('p', { class: 'mut' }, 'An interactive session on the device through netautod: it logs in with the inventory\'s credentials, holds the device\'s lock while open, and keeps a transcript (secrets redacted) in the audit trail.'),
    f, st, box);
  let ws = null, term = null;
  const ac = new AbortController();
  S.aborts.push({ abort: () => { ac.abort(); if (ws) ws.close(); } });
  closeBtn.addEventListener('click', () => { if (ws) ws.close(); });
  f.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (ws) ws.close();
    st.textContent = 'Connecting...';
    try {
      await loadXterm();
      const body = tr.value ? { transport: tr.value } : {};
      const tk = await api('POST', '/v1/shell/' + enc(sel.value.trim()), body);
      if (!term) {
        term = withStyleNonce(() => {
          const t = new window.Terminal({ cols: 100, rows: 30, convertEol: false, cursorBlink: true, scrollback: 5000 });
          t.open(box);
          return t;
        });
        term.onData((d) => { if (ws && ws.readyState === 1) ws.send(new TextEncoder().encode(d)); });
      }
      term.reset();
      ws = new WebSocket('wss://' + location.host + tk.url);
      ws.binaryType = 'arraybuffer';
      const mine = ws;
      ws.onmessage = (e) => {
        if (typeof e.data === 'string') {
          let j = {};
          try { j = JSON.parse(e.data); } catch (x) { j = {}; }
          if (j.status === 'open') { st.textContent = 'Connected to ' + j.host + ' over ' + j.transport + ' (' + j.mode + ' mode).'; closeBtn.disabled = false; term.focus(); }
          else if (j.status === 'connecting') st.textContent = 'Logging in to ' + j.host + '...';
          else if (j.status === 'closed') st.textContent = 'Closed' + (j.error ? ': ' + j.error : ' by the device.');
        } else {
          term.write(new Uint8Array(e.data));
        }
      };
      ws.onclose = () => { if (ws === mine) { closeBtn.disabled = true; if (!/^Closed/.test(st.textContent)) st.textContent = 'Disconnected.'; ws = null; } };
    } catch (e) { st.textContent = String(e.message || e); }
  });
  if (host) f.requestSubmit();
}

/* ---- start --------------------------------------------------------------------------------- */

/* For tests and measurements only: how many rows a virtualised list holds in the DOM. */
window.netautoUi = { rows: () => document.querySelectorAll('.vlist .row').length };

document.addEventListener('DOMContentLoaded', () => showSignIn(''));
