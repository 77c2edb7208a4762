// Client-side navigation for the portal, on the model of Leptos' islands router
// (leptos/src/hydration/islands_routing.js): links and forms inside the portal are fetched and
// the answer is patched into the document, so the page, its islands and the wasm stay. Every
// page is still a whole server-rendered document; without this script, links and forms work
// as plain HTML. Unlike that router's lockstep diff, the patch below matches children by id
// and kind, so lists of any length, removed attributes and changed routes come out exactly as
// the server rendered them (see the note in issue #20).
//
// Events an island can use: dispatch `portal:refresh` on window to fetch the current address
// again in place (auto-refresh); listen to `portal:navigated` to learn that a page changed.

/** The header that tells the server a page is fetched by this script (see app::shell). */
const HEADER = 'x-portal-navigation';
/** A navigation slower than this shows the progress bar. */
const PROGRESS_AFTER_MS = 150;

let portal = null;
/** Only the newest navigation may patch the document. */
let seq = 0;
/** Scroll positions of this tab's history entries, by the entry's id. */
const scrolls = new Map();
let entry = 0;
/** The address the document shows, to tell a hash-only history step from a page change. */
let shown = new URL(location.href);
/** Set while a form is sent natively after a failed fetch. */
let bypass = false;

/** Starts handling navigation; `module` is the portal's wasm module (its island functions). */
export function start(module) {
  portal = module;
  for (const island of document.querySelectorAll('leptos-island')) island.$$hydrated = true;
  // Scroll is restored here, for history entries this script made and for reloads alike.
  history.scrollRestoration = 'manual';
  entry = history.state?.entry ?? Date.now();
  history.replaceState({ ...history.state, entry }, '');
  const saved = Number(sessionStorage.getItem(`scroll:${entry}`));
  if (saved) scrollTo(0, saved);
  addEventListener('pagehide', () => sessionStorage.setItem(`scroll:${entry}`, String(scrollY)));
  addEventListener('scroll', () => scrolls.set(entry, scrollY), { passive: true });
  addEventListener('click', onClick);
  addEventListener('submit', onSubmit);
  addEventListener('popstate', onPopState);
  addEventListener('portal:refresh', () => navigate(location.href, {}, { replace: true, keep: true, quiet: true }));
}

/** A page of the portal, as opposed to a file (CSV, JSON, images) or the REST API. */
function isPage(url) {
  if (url.origin !== location.origin) return false;
  const last = url.pathname.split('/').pop();
  return !url.pathname.startsWith('/api/') && !last.includes('.');
}

function onClick(ev) {
  if (ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
  const a = ev.target instanceof Element ? ev.target.closest('a[href]') : null;
  if (!a || !(a instanceof HTMLAnchorElement) || a.target || a.hasAttribute('download')) return;
  if (a.relList.contains('external')) return;
  const url = new URL(a.href);
  if (!isPage(url)) return;
  // An anchor on this page (the skip link): the browser scrolls and focuses by itself.
  if (url.hash && url.pathname === location.pathname && url.search === location.search) return;
  ev.preventDefault();
  const keep = a.dataset.nav === 'keep';
  navigate(url.href, {}, { replace: keep, keep, quiet: keep });
}

function onSubmit(ev) {
  if (bypass || ev.defaultPrevented) return;
  const form = ev.target;
  const submitter = ev.submitter;
  const attr = (name, formName) => submitter?.getAttribute(formName) ?? form.getAttribute(name);
  const method = (attr('method', 'formmethod') || 'get').toLowerCase();
  const action = new URL(attr('action', 'formaction') || location.href, location.href);
  if (attr('target', 'formtarget') || method === 'dialog' || !isPage(action)) return;
  ev.preventDefault();
  const data = new FormData(form, submitter);
  // A form marked `data-nav="keep"` (the SIM filter) refreshes the page in place.
  const keep = form.dataset.nav === 'keep';
  const opts = { replace: keep, keep, quiet: keep, form, submitter };
  if (method === 'get') {
    const query = new URLSearchParams(data);
    // The live filter's address leaves blank fields out, so it stays short enough to share.
    if (keep) for (const [k, v] of [...query]) if (v === '') query.delete(k, v);
    action.search = query.toString();
    navigate(action.href, {}, opts);
  } else {
    const multipart = (attr('enctype', 'formenctype') || '').toLowerCase() === 'multipart/form-data';
    navigate(action.href, { method: 'POST', body: multipart ? data : new URLSearchParams(data) }, opts);
  }
}

function onPopState(ev) {
  const url = new URL(location.href);
  const sameDocument = url.pathname === shown.pathname && url.search === shown.search;
  entry = ev.state?.entry ?? Date.now();
  shown = url;
  if (sameDocument) return; // only the hash changed: the browser has done it all
  navigate(url.href, {}, { restore: scrolls.get(entry) ?? 0, history: false });
}

/**
 * Fetches `href` and shows the answer. `opts`: `replace` the history entry instead of adding
 * one, `keep` scroll, focus and open panels (a refresh of the same page), `quiet` (no
 * announcement or focus move), `restore` a scroll position (back/forward), `history: false`
 * (the browser has already moved), `form`/`submitter` (to send natively if fetching fails).
 */
async function navigate(href, init, opts) {
  const mine = ++seq;
  const bar = document.getElementById('nav-progress');
  const timer = setTimeout(() => bar && (bar.hidden = false), PROGRESS_AFTER_MS);
  let res;
  let html;
  try {
    res = await fetch(href, { ...init, headers: { [HEADER]: '1', accept: 'text/html' }, credentials: 'same-origin' });
    const type = res.headers.get('content-type') || '';
    // Anything else (a file, JSON, plain text) is left to the browser below.
    if (type.startsWith('text/html')) html = await res.text();
  } catch (e) {
    // Offline, or the server went away: the browser's own navigation says so best.
  } finally {
    clearTimeout(timer);
    if (mine === seq && bar) bar.hidden = true;
  }
  if (mine !== seq) return;
  const doc = html === undefined ? null : new DOMParser().parseFromString(html, 'text/html');
  if (!doc || !doc.getElementById('main')) {
    fallback(href, init, opts);
    return;
  }
  if (opts.history !== false) {
    scrolls.set(entry, scrollY);
    const url = new URL(res.url);
    if (!res.redirected) url.hash = new URL(href).hash;
    if (opts.replace) {
      history.replaceState({ ...history.state, entry }, '', url.href);
    } else {
      entry = Date.now();
      history.pushState({ entry }, '', url.href);
    }
    shown = url;
  }
  show(doc, opts);
}

/** Puts the fetched document in place of the current one, keeping what `opts` says. */
function show(doc, opts) {
  const y = scrollY;
  document.title = doc.title;
  document.documentElement.lang = doc.documentElement.lang;
  const hydrated = document.body.dataset.hydrated;
  morph(document.body, doc.body, opts);
  document.body.dataset.hydrated = hydrated ?? 'true';
  for (const island of document.querySelectorAll('leptos-island')) {
    if (!island.$$hydrated) {
      island.$$hydrated = true;
      portal?.[island.dataset.component]?.(island);
    }
  }
  if (opts.keep) {
    scrollTo(0, y);
  } else if (opts.restore !== undefined) {
    scrollTo(0, opts.restore);
  } else {
    const target = location.hash && document.getElementById(decodeURIComponent(location.hash.slice(1)));
    if (target) target.scrollIntoView();
    else scrollTo(0, 0);
  }
  if (!opts.quiet) {
    // Focus where the page wants attention: the first field in error, else the heading.
    const field = document.querySelector('main [aria-invalid="true"]');
    const heading = document.querySelector('main h1');
    const focus = field || heading;
    if (focus) {
      if (focus === heading && !heading.hasAttribute('tabindex')) heading.setAttribute('tabindex', '-1');
      focus.focus({ preventScroll: true });
    }
    const status = document.getElementById('nav-status');
    if (status) status.textContent = document.title;
  }
  // Counted on <html>, so tests (and anyone curious) can tell a page changed.
  const root = document.documentElement;
  root.dataset.navigations = String(Number(root.dataset.navigations || 0) + 1);
  dispatchEvent(new CustomEvent('portal:navigated', { detail: { quiet: !!opts.quiet } }));
}

/** When fetching did not give a page: let the browser navigate, as it would without us. */
function fallback(href, init, opts) {
  if (opts.form && init.method === 'POST') {
    bypass = true;
    try {
      opts.form.requestSubmit(opts.submitter);
    } finally {
      bypass = false;
    }
  } else if (opts.replace) {
    location.replace(href);
  } else {
    location.assign(href);
  }
}

// ---- the patch ------------------------------------------------------------------------------

/** Two nodes that can be patched one into the other (else the old is replaced). */
function same(a, b) {
  if (a.nodeType !== b.nodeType) return false;
  if (a.nodeType !== Node.ELEMENT_NODE) return true;
  if (a.tagName !== b.tagName || a.id !== b.id) return false;
  if (a.tagName === 'LEPTOS-ISLAND') {
    return a.dataset.component === b.dataset.component && a.dataset.props === b.dataset.props;
  }
  return a.tagName !== 'INPUT' || a.type === b.type;
}

/** Makes `old` look like `fresh` (an element of the fetched document). */
function morph(old, fresh, opts) {
  if (old.nodeType !== Node.ELEMENT_NODE) {
    if (old.nodeValue !== fresh.nodeValue) old.nodeValue = fresh.nodeValue;
    return;
  }
  if (old.tagName === 'LEPTOS-ISLAND') {
    // The island's own view belongs to its wasm and keeps its state; the server content passed
    // to it as children is patched like the rest of the page.
    const inner = (island) =>
      [...island.querySelectorAll('leptos-children')].filter((c) => c.closest('leptos-island') === island);
    const olds = inner(old);
    const freshes = inner(fresh);
    if (olds.length === freshes.length) olds.forEach((c, i) => morphChildren(c, freshes[i], opts));
    return;
  }
  const keepOpen = opts.keep && old.tagName === 'DETAILS';
  for (const { name } of [...old.attributes]) {
    if (!fresh.hasAttribute(name) && !(keepOpen && name === 'open')) old.removeAttribute(name);
  }
  for (const { name, value } of fresh.attributes) {
    if (old.getAttribute(name) !== value && !(keepOpen && name === 'open')) old.setAttribute(name, value);
  }
  const typing = opts.keep && old === document.activeElement;
  if (old.tagName === 'INPUT') {
    if (!typing) {
      old.value = fresh.value;
      old.checked = fresh.checked;
    }
    return;
  }
  if (old.tagName === 'TEXTAREA') {
    if (!typing) old.value = fresh.value;
    return;
  }
  morphChildren(old, fresh, opts);
  if (old.tagName === 'SELECT' && !typing) old.value = fresh.value;
}

function morphChildren(oldParent, freshParent, opts) {
  const wanted = new Set();
  for (const c of freshParent.children) if (c.id) wanted.add(c.id);
  const byId = new Map();
  for (const c of oldParent.children) if (c.id && wanted.has(c.id)) byId.set(c.id, c);
  let cur = oldParent.firstChild;
  let next = freshParent.firstChild;
  while (next) {
    const fresh = next;
    next = next.nextSibling;
    // Old elements with an id the new page lacks are gone.
    while (cur && cur.nodeType === Node.ELEMENT_NODE && cur.id && !byId.has(cur.id)) {
      const gone = cur;
      cur = cur.nextSibling;
      gone.remove();
    }
    let match = null;
    if (fresh.nodeType === Node.ELEMENT_NODE && fresh.id && byId.has(fresh.id)) {
      match = byId.get(fresh.id);
      byId.delete(fresh.id);
      if (!same(match, fresh)) {
        match.remove();
        match = null;
      }
    } else if (cur && same(cur, fresh) && !(cur.nodeType === Node.ELEMENT_NODE && cur.id)) {
      match = cur;
    }
    if (match) {
      if (match === cur) cur = cur.nextSibling;
      else oldParent.insertBefore(match, cur);
      morph(match, fresh, opts);
    } else {
      oldParent.insertBefore(document.adoptNode(fresh), cur);
    }
  }
  while (cur) {
    const gone = cur;
    cur = cur.nextSibling;
    gone.remove();
  }
}
