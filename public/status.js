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

  function when(iso) {
    if (!iso) return '';
    const d = new Date(iso);
    return isNaN(d.getTime()) ? String(iso) : d.toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
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
    const id = Number(e.lastEventId);
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

  function renderState(record) {
    const done = record.state === 'succeeded' || record.state === 'failed' || record.state === 'cancelled';
    if (record.state !== 'queued') $('waiting').hidden = true;
    if (done && $('cancel')) $('cancel').hidden = true;
    if (done && $('cancel-requested')) $('cancel-requested').hidden = true;
    const outcome = $('outcome');
    outcome.hidden = false;
    outcome.className = 'outcome outcome-' + record.state;
    // While queued, the waiting note already says so; the box only says who asked for what.
    $('outcome-title').hidden = record.state === 'queued';
    $('outcome-title').textContent = (STATE_LABELS[record.state] || record.state) +
      (done && record.finishedAt ? ' · ' + when(record.finishedAt) : record.startedAt ? ' · since ' + when(record.startedAt) : '');
    $('outcome-reason').hidden = !record.reason;
    $('outcome-reason').textContent = record.reason || '';
    const req = record.request || {};
    $('outcome-meta').textContent = 'Requested by ' + ((req.user && req.user.name) || 'unknown') + ' on ' + when(req.requestedAt) +
      ' · ' + (req.processes || []).join(', ') + (record.attempts > 1 ? ' · attempt ' + record.attempts : '');

    const steps = $('steps');
    steps.replaceChildren();
    let running = null;
    for (const s of record.steps || []) {
      const li = document.createElement('li');
      li.className = 'step step-' + s.state;
      li.append(Object.assign(document.createElement('span'), { className: 'step-state', textContent: s.state }));
      li.append(Object.assign(document.createElement('span'), { className: 'step-title', textContent: s.title || s.name }));
      if (s.progress) {
        li.append(Object.assign(document.createElement('span'), { className: 'quiet', textContent: s.progress.done + ' of ' + s.progress.total }));
      }
      if (s.why) li.append(Object.assign(document.createElement('span'), { className: 'why', textContent: s.why }));
      steps.append(li);
      if (s.state === 'running' && s.progress && s.progress.total > 0) running = s;
    }

    const progress = $('progress');
    progress.hidden = !running || done;
    if (running) {
      $('progress-step').textContent = running.title || running.name;
      $('progress-count').textContent = running.progress.done + ' of ' + running.progress.total + ' files' +
        (running.progress.detail ? ' · ' + running.progress.detail : '');
      $('progress-bar').max = running.progress.total;
      $('progress-bar').value = running.progress.done;
    }

    const report = record.attachments && record.attachments.reportText;
    $('report').hidden = typeof report !== 'string' || report === '';
    $('report-text').textContent = typeof report === 'string' ? report : '';
  }

  const source = new EventSource(root.dataset.events);
  const connection = $('connection');
  source.addEventListener('init', (e) => onLine(e, true));
  source.addEventListener('line', (e) => onLine(e, false));
  source.addEventListener('state', (e) => renderState(JSON.parse(e.data)));
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
