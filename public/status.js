// The status page: follows a run's events and draws them. Every line from the worker is put in
// the page as text (textContent); only http(s) URLs become links, built as <a> elements.
'use strict';

(function () {
  const root = document.getElementById('run');
  if (!root) return;
  const $ = (id) => document.getElementById(id);
  const STATE_LABELS = { queued: 'Waiting for the worker', running: 'Running', succeeded: 'Succeeded', failed: 'Failed', cancelled: 'Cancelled' };
  const INLINE = ['.', '⏳', '☁️'];
  const URL_RE = /https?:\/\/[^\s<>"'`]+/g;
  const lines = $('lines');
  let lastId = -1;

  /** `2026-11-24 08:30 CST`: the reader's local time, with its zone named. */
  function when(iso) {
    if (!iso) return '';
    const d = new Date(iso);
    if (isNaN(d.getTime())) return String(iso);
    const p = (n) => String(n).padStart(2, '0');
    let zone = '';
    try {
      const part = new Intl.DateTimeFormat(undefined, { timeZoneName: 'short' }).formatToParts(d).find((x) => x.type === 'timeZoneName');
      zone = part ? part.value : '';
    } catch (e) { /* no Intl: the offset below */ }
    if (!zone) {
      const off = -d.getTimezoneOffset();
      zone = 'UTC' + (off >= 0 ? '+' : '-') + p(Math.floor(Math.abs(off) / 60)) + ':' + p(Math.abs(off) % 60);
    }
    return d.getFullYear() + '-' + p(d.getMonth() + 1) + '-' + p(d.getDate()) + ' ' + p(d.getHours()) + ':' + p(d.getMinutes()) + ' ' + zone;
  }

  /** `1 h 5 min`, `12 min`, `40 s`. */
  function duration(ms) {
    const s = Math.max(0, Math.round(ms / 1000));
    if (s < 60) return s + ' s';
    const m = Math.round(s / 60);
    return m < 60 ? m + ' min' : Math.floor(m / 60) + ' h ' + (m % 60) + ' min';
  }

  function bytes(n) {
    const units = ['bytes', 'KB', 'MB', 'GB', 'TB'];
    let i = 0;
    let v = n;
    while (v >= 1000 && i < units.length - 1) { v /= 1000; i++; }
    return (i === 0 ? String(v) : v.toFixed(v < 10 ? 2 : v < 100 ? 1 : 0)) + ' ' + units[i];
  }

  /** `3 of 10 files`, `1.2 GB of 3.4 GB`: progress in its own unit. */
  function counted(progress) {
    const unit = progress.unit || 'files';
    if (unit === 'bytes') return bytes(progress.done) + ' of ' + bytes(progress.total);
    return progress.done + ' of ' + progress.total + ' ' + unit;
  }

  function el(tag, className, text) {
    const e = document.createElement(tag);
    if (className) e.className = className;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  /** Appends text to `el`, turning http(s) URLs into links. */
  function linkified(el, text) {
    let at = 0;
    for (const m of text.matchAll(URL_RE)) {
      let url = m[0].replace(/[.,;:!?)\]]+$/, '');
      el.append(document.createTextNode(text.slice(at, m.index)));
      let safe = null;
      try {
        const u = new URL(url);
        if (u.protocol === 'http:' || u.protocol === 'https:') safe = u.href;
      } catch (e) { /* not a URL after all */ }
      if (safe) {
        const a = document.createElement('a');
        a.href = safe;
        a.rel = 'noopener noreferrer';
        a.target = '_blank';
        a.textContent = url;
        el.append(a);
      } else {
        el.append(document.createTextNode(url));
      }
      at = m.index + url.length;
    }
    el.append(document.createTextNode(text.slice(at)));
    return el;
  }

  function addLine(text) {
    // Keep following the newest line, unless the reader has scrolled up to read.
    const atBottom = lines.scrollTop + lines.clientHeight >= lines.scrollHeight - 8;
    appendLine(text);
    if (atBottom) lines.scrollTop = lines.scrollHeight;
  }

  function appendLine(text) {
    const inline = INLINE.some((p) => text.startsWith(p));
    if (inline) {
      let group = lines.lastElementChild;
      if (!group || !group.classList.contains('inline')) {
        group = document.createElement('p');
        group.className = 'line inline';
        lines.append(group);
      }
      group.append(linkified(document.createElement('span'), text));
    } else {
      lines.append(linkified(Object.assign(document.createElement('p'), { className: 'line' }), text));
    }
  }

  function onLine(e, isInit) {
    const id = parseInt(e.lastEventId, 10); // `<offset>` or `<offset>.<epoch>.<rev>`
    if (Number.isFinite(id) && id <= lastId) return; // already shown
    if (Number.isFinite(id)) lastId = id;
    const text = JSON.parse(e.data);
    if (isInit) {
      $('waiting').hidden = true;
      const rest = text.replace(/^🟢\s*/u, '');
      if (rest) addLine('🟢 ' + rest);
      return;
    }
    addLine(text);
  }

  const FOLDER_STEPS = ['metadata', 'convert', 'package', 'onsite', 'cloud', 'access'];
  const SHORT = { metadata: 'ArchivesSpace', convert: 'Convert', package: 'Package', onsite: 'Tape', cloud: 'Cloud', access: 'Access' };
  const LABEL = { done: 'done', failed: 'failed', skipped: 'not run', waiting: 'waiting' };

  /** Problems, once each: a folder's failed step (same cause for several folders: one entry), then the run's own reason. */
  function problemsOf(record) {
    const byCause = new Map();
    const titles = {};
    for (const s of record.steps || []) titles[s.name] = s.title || s.name;
    for (const f of record.folders || []) {
      for (const name of Object.keys(f.steps)) {
        const r = f.steps[name];
        if (r.state !== 'failed') continue;
        const key = name + '\u0000' + (r.why || '');
        if (!byCause.has(key)) byCause.set(key, { step: titles[name] || name, why: r.why || 'failed', folders: [] });
        byCause.get(key).folders.push(f.name);
      }
    }
    return [...byCause.values()];
  }

  function reportProblems(record) {
    const report = (record.steps || []).find((s) => s.name === 'report');
    return report && report.counts && report.counts.problems ? report.counts.problems : 0;
  }

  /** The folder table's rows by folder name, and the step columns they were drawn with. */
  const folderRows = new Map();
  let folderColumns = '';

  function folderRow(f, names) {
    const tr = el('tr');
    tr.dataset.folder = f.name;
    tr.append(el('td', 'folder', f.name), el('td', 'num', String(f.images || 0)));
    for (const n of names) {
      const r = f.steps[n];
      const td = el('td', 'cell cell-' + (r ? r.state : 'pending'), r ? LABEL[r.state] || r.state : '·');
      td.dataset.step = n;
      if (r && r.why) td.title = r.why;
      tr.append(td);
    }
    return tr;
  }

  /**
   * Draws the folder table. With `changed` (the folders a delta named), only their rows are drawn
   * again or added; the whole table only when the columns or the folders' order changed.
   */
  function renderFolders(record, changed) {
    const folders = record.folders || [];
    const section = $('folders');
    section.hidden = folders.length === 0;
    const names = FOLDER_STEPS.filter((n) => (record.steps || []).some((s) => s.name === n));
    const columns = names.join(',');
    const body = $('folders-body');
    if (changed && columns === folderColumns && body.children.length <= folders.length) {
      for (const f of changed) {
        const tr = folderRow(f, names);
        const old = folderRows.get(f.name);
        if (old) old.replaceWith(tr);
        else body.append(tr);
        folderRows.set(f.name, tr);
      }
    } else {
      const head = el('tr');
      head.append(el('th', '', 'Folder'), el('th', 'num', 'Images'));
      for (const n of names) head.append(el('th', '', SHORT[n] || n));
      folderRows.clear();
      const rows = folders.map((f) => {
        const tr = folderRow(f, names);
        folderRows.set(f.name, tr);
        return tr;
      });
      $('folders-head').replaceChildren(head);
      body.replaceChildren(...rows);
      folderColumns = columns;
    }
    if (!folders.length) return;
    let images = 0;
    for (const f of folders) images += f.images || 0;
    const done = folders.filter((f) => names.length && names.every((n) => f.steps[n] && f.steps[n].state === 'done')).length;
    $('folders-total').textContent = folders.length + ' folder' + (folders.length === 1 ? '' : 's') + ', ' + images + ' image' + (images === 1 ? '' : 's') +
      ' · ' + done + ' done at every step';
  }

  function renderProblems(record) {
    const list = problemsOf(record);
    const items = list.map((p) => {
      const li = el('li');
      li.append(el('strong', '', p.folders.join(', ')), document.createTextNode(' — ' + p.step + ': '));
      linkified(li, p.why);
      return li;
    });
    $('problems').hidden = items.length === 0;
    $('problems-title').textContent = items.length === 1 ? '1 problem' : items.length + ' problems';
    $('problems-list').replaceChildren(...items);
    return items.length;
  }

  function renderState(record, changedFolders) {
    const done = record.state === 'succeeded' || record.state === 'failed' || record.state === 'cancelled';
    if (record.state !== 'queued') $('waiting').hidden = true;
    if (done && $('cancel')) $('cancel').hidden = true;
    if (done && $('cancel-requested')) $('cancel-requested').hidden = true;
    const outcome = $('outcome');
    outcome.hidden = false;
    const found = reportProblems(record);
    const amber = record.state === 'succeeded' && found > 0;
    outcome.className = 'outcome outcome-' + (amber ? 'warning' : record.state);
    // While queued, the waiting note already says so; the box only says who asked for what.
    $('outcome-title').hidden = record.state === 'queued';
    const label = amber ? 'Finished with ' + found + ' problem' + (found === 1 ? '' : 's') : STATE_LABELS[record.state] || record.state;
    $('outcome-title').textContent = label +
      (done && record.finishedAt ? ' · ' + when(record.finishedAt) : record.startedAt ? ' · since ' + when(record.startedAt) : '');
    const problemCount = renderProblems(record);
    // The run's reason sums up the folder problems listed: shown only when no folder names them,
    // and always for a cancel (who, when, what was and was not done).
    const showReason = Boolean(record.reason) && (record.state === 'cancelled' || problemCount === 0);
    $('outcome-reason').hidden = !showReason;
    $('outcome-reason').textContent = showReason ? record.reason : '';
    const req = record.request || {};
    let timing = '';
    if (record.startedAt) {
      const end = done && record.finishedAt ? Date.parse(record.finishedAt) : Date.now();
      timing = (done ? ' · took ' : ' · running for ') + duration(end - Date.parse(record.startedAt));
    }
    $('outcome-meta').textContent = 'Requested by ' + ((req.user && req.user.name) || 'unknown') + ' on ' + when(req.requestedAt) +
      ' · ' + (req.processes || []).join(', ') + (record.attempts > 1 ? ' · attempt ' + record.attempts : '') + timing;

    const failedAt = new Set(problemsOf(record).map((p) => p.step));
    const steps = $('steps');
    steps.replaceChildren();
    let running = null;
    const folders = record.folders || [];
    for (const s of record.steps || []) {
      const li = el('li', 'step step-' + s.state);
      li.dataset.step = s.name;
      li.append(el('span', 'step-state', s.state));
      li.append(el('span', 'step-title', s.title || s.name));
      const of = FOLDER_STEPS.includes(s.name) && folders.length ? folders.filter((f) => f.steps[s.name] && f.steps[s.name].state === 'done').length : -1;
      if (of >= 0) li.append(el('span', 'quiet', of + ' of ' + folders.length + ' folders done'));
      else if (s.progress) li.append(el('span', 'quiet', counted(s.progress)));
      // A step's why repeats the problems listed above: say where to look instead.
      if (s.why) li.append(el('span', 'why', failedAt.has(s.title || s.name) ? 'See the problems above.' : s.why));
      steps.append(li);
      if (s.state === 'running' && s.progress && s.progress.total > 0 && !running) running = s;
    }

    const progress = $('progress');
    progress.hidden = !running || done;
    if (running) {
      let estimate = '';
      if (running.startedAt && running.progress.done > 0 && running.progress.done < running.progress.total) {
        const spent = Date.now() - Date.parse(running.startedAt);
        estimate = ' · about ' + duration((spent * (running.progress.total - running.progress.done)) / running.progress.done) + ' left';
      }
      $('progress-step').textContent = running.title || running.name;
      $('progress-count').textContent = counted(running.progress) + (running.progress.detail ? ' · ' + running.progress.detail : '') + estimate;
      $('progress-bar').max = running.progress.total;
      $('progress-bar').value = running.progress.done;
    }
    renderFolders(record, changedFolders);

    // The report describes what a run would do; once other processes ran, the folder table says what was done.
    const report = record.attachments && record.attachments.reportText;
    const others = (req.processes || []).some((p) => p !== 'report');
    $('report').hidden = typeof report !== 'string' || report === '';
    $('report-title').textContent = others ? 'Report made before the run (what it would do)' : 'Report';
    $('report').open = !(others && done);
    $('report-text').textContent = typeof report === 'string' ? report : '';
    root.dataset.problems = String(problemCount);
  }

  /**
   * The record as the server last described it: sent whole once (`state`), then as what changed
   * (`delta`), applied by the same rules as src/runs/recordDelta.ts.
   */
  let current = null;

  function mergeList(list, changed, order) {
    const byName = new Map(list.map((x) => [x.name, x]));
    const added = [];
    for (const x of changed) {
      if (!byName.has(x.name)) added.push(x.name);
      byName.set(x.name, x);
    }
    const names = order || list.map((x) => x.name).concat(added);
    return names.map((n) => byName.get(n)).filter(Boolean);
  }

  function applyDelta(record, d) {
    const r = Object.assign({}, record);
    for (const k of d.unset || []) delete r[k];
    Object.assign(r, d.set || {});
    if (d.steps || d.stepOrder) r.steps = mergeList(record.steps || [], d.steps || [], d.stepOrder);
    if (d.folders || d.folderOrder) r.folders = mergeList(record.folders || [], d.folders || [], d.folderOrder);
    return r;
  }

  const source = new EventSource(root.dataset.events);
  const connection = $('connection');
  source.addEventListener('init', (e) => onLine(e, true));
  source.addEventListener('line', (e) => onLine(e, false));
  source.addEventListener('state', (e) => {
    current = JSON.parse(e.data);
    renderState(current);
  });
  source.addEventListener('delta', (e) => {
    if (!current) return; // the server sends the whole record first; a delta alone cannot be drawn
    const d = JSON.parse(e.data);
    current = applyDelta(current, d);
    root.dataset.deltas = String(Number(root.dataset.deltas || 0) + 1);
    renderState(current, d.folderOrder ? undefined : d.folders || []);
  });
  source.addEventListener('end', (e) => {
    source.close(); // otherwise EventSource reconnects and starts again
    const end = JSON.parse(e.data);
    $('waiting').hidden = true;
    connection.hidden = true;
    root.dataset.ended = end.reason;
    if (end.reason === 'finished' && end.log) {
      $('archived-href').href = '/runs/' + encodeURIComponent(end.log);
      $('archived-href').textContent = 'Archived log: ' + end.log;
      $('archived-link').hidden = false;
    } else if (end.reason === 'none') {
      connection.hidden = false;
      connection.textContent = 'No run of ' + root.dataset.collection + ' is waiting, running or archived.';
    } else if (end.reason === 'gone') {
      connection.hidden = false;
      connection.textContent = 'The run’s stream was removed without an archived log. Look under Past runs, or ask Digital Library Development.';
    }
  });
  source.addEventListener('open', () => { connection.hidden = true; });
  source.addEventListener('error', () => {
    if (root.dataset.ended) return;
    connection.hidden = false;
    // CLOSED here means the server refused the stream (e.g. the sign-in expired): no retry will help.
    connection.textContent = source.readyState === EventSource.CLOSED
      ? 'The server refused to send this run’s progress. Reload the page; you may need to sign in again.'
      : 'Connection lost; reconnecting…';
  });
})();
