#!/usr/bin/env node
/**
 * Stand-in for `drush` on an Islandora 7 server, for tests and the demo (Drupal 7, Fedora 3 and
 * drush cannot be installed here). It answers every command Distillery runs with the same
 * arguments, output streams and exit codes as drush 7 with these modules, read in their source:
 *   Islandora/islandora_batch 2285f5ccb0c9b309092c5565f085530450a09531 (islandora_batch.drush.inc,
 *     includes/ingest.batch.inc) with Caltech's patch (book folder `ns+id` → PID `ns:id`, existing
 *     PIDs skipped); Islandora/islandora_book_batch bc8f19b9ff9ef693e615549a3afc926d6235d3c6
 *     (includes/islandora_book_batch.inc: pages are ingested before their book, which waits in
 *     PENDING_CHILDREN; pages get isMemberOf/isPageOf the book and isSequenceNumber);
 *   SFULibrary/islandora_datastream_crud 1509191b3f21bd2e866f78eaad145103cf2759f3
 *     (islandora_datastream_crud.drush.inc, includes/utilities.inc);
 *   mjordan/islandora_bulk_delete 7bd2ecac35e30971e8493e17f37fff1bd5f3f34b (islandora_bulk_delete.drush.inc);
 *   mjordan/islandora_batch_with_derivs for the collection object.
 * drush_print goes to stdout; drush_log and drush_set_error go to stderr as `message   [type]`;
 * drush_set_error makes the exit code 1 (the command goes on); an uncaught exception exits 255;
 * drush_confirm without --yes/-y on a non-interactive session is answered "n" (user abort, exit 1).
 *
 *   drush --version
 *   drush --root=W islandora_datastream_crud_fetch_pids (--solr_query=Q | --is_member_of=P) [--pid_file=F]
 *       Q: `PID:ns\:id`, `dc.identifier:ns\:id AND dc.type:Collection`, `RELS_EXT_isMemberOf_uri_t:"info:fedora/P"`
 *       → PIDs on stdout (or appended to F, "PIDS written to file F [ok]"); none: "Sorry, no PIDS were found. [error]", exit 1
 *   drush --user=1 --root=W islandora_datastream_crud_fetch_datastreams --pid_file=F --dsid=D
 *       --datastreams_directory=DIR [--datastreams_extension=E] -y
 *       → DIR/<ns>_<id>_<D>.<ext>; "D datastream for object P retrieved [ok]" per object
 *   drush --user=1 --root=W islandora_bulk_delete_delete --pid_file=F -y
 *       → stdout "Deleted P" for each page of a book, then the book (purged from the repository)
 *   drush --user=1 --root=W islandora_batch_with_derivs_preprocess … --scan_target=D --use_pids=TRUE → "SetId: N [ok]"
 *   drush --user=1 --root=W islandora_book_batch_preprocess --output_set_id=TRUE --parent=P --scan_target=D --type=directory → "N"
 *   drush --user=1 --root=W islandora_batch_ingest --ingest_set=N → "Ingested PID. [ok]" per object on stderr
 *
 * Objects, their relationships and datastream contents are kept under $HOME/.islandora-standin/
 * (state.json and objects/<pid>/<DSID>), so reruns see what is there. Faults for tests are read
 * from $HOME/.islandora-standin/faults.json (a list, each used once and then moved to fired.json):
 *   {"fault":"page-ingest-fails","book":"HBF:HBF_001_01","page":3}  the page's ingest throws
 *     ("Exception occured: Failed to ingest PID."), so the book stays PENDING_CHILDREN and the other
 *     pages are in the repository without it, as islandora_batch leaves them.
 *   {"fault":"slow-ingest","seconds":S,"kind"?:"book_batch"}  the next islandora_batch_ingest (of a set
 *     of that kind, if given) ingests its set, then goes
 *     on for S more seconds (as a long batch does) before it ends, whatever happens to the client:
 *     a client that gives up and disconnects does not stop it (no terminal, so no hang-up), and
 *     the objects are in the repository all the same.
 * Like islandora_batch (Islandora/islandora_batch 0027f2c90561cdddeb2ddb2a130ce3c4249fb246,
 * includes/ingest.batch.inc, islandora_batch_get_lock), an ingest holds its set's lock
 * (`islandora_batch_ingest_set_N`) while it runs: a second ingest of the same set waits for the
 * first to end, then ingests only what is still not done. Every ingest run is listed in
 * state.json's `ingestRuns` (set, process, and each object it ingested), so a test can see an
 * ingest run twice.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLValidator } from 'fast-xml-parser';

const PID_RE = /^([A-Za-z0-9]|-|\.)+:(([A-Za-z0-9])|-|\.|~|_|(%[0-9A-F]{2}))+$/;
const isValidPid = (pid) => pid.trim().length <= 64 && PID_RE.test(pid.trim());

let exitCode = 0;
/** drush_log / drush_set_error pad the message to 80 columns and append the type. */
function log(message, type) {
  process.stderr.write(`${message}${' '.repeat(Math.max(1, 76 - message.length))}[${type}]\n`);
}
/** drush_set_error: logged as an error; the command goes on and drush exits 1 at the end. */
function setError(message) {
  log(message, 'error');
  exitCode = 1;
}
function fail(message, code = 1) {
  log(message, 'error');
  process.exit(code);
}
/** An uncaught PHP exception in a drush command (e.g. islandora_book_batch's "Bad Batch"). */
function uncaught(message) {
  process.stderr.write(
    `Drush command terminated abnormally due to an unrecoverable error.       [error]\n` +
      `Error: Uncaught exception 'Exception' with message '${message}' in ` +
      `sites/all/modules/islandora_book_batch/includes/islandora_book_batch.inc\n`,
  );
  process.exit(255);
}

const args = process.argv.slice(2);
const options = {};
const positional = [];
for (const a of args) {
  const m = /^--([^=]+)(?:=(.*))?$/s.exec(a);
  if (m) options[m[1]] = m[2] ?? true;
  else if (a === '-y') options.yes = true;
  else positional.push(a);
}

if (options.version) {
  process.stdout.write(' Drush Version   :  7.4.0 \n');
  process.exit(0);
}

/** drush_confirm: --yes answers y; a session without a terminal answers n. */
function confirm(question) {
  process.stdout.write(`${question} (y/n): ${options.yes ? 'y' : 'n'}\n`);
  return options.yes === true;
}
function userAbort(message) {
  log(message, 'cancel');
  process.exit(1);
}

const command = positional[0];
const home = process.env.HOME ?? '/tmp';
const stateDir = join(home, '.islandora-standin');
const statePath = join(stateDir, 'state.json');
const objectsDir = join(stateDir, 'objects');

function loadState() {
  if (!existsSync(statePath)) return { objects: {}, sets: {}, nextSet: 1, nextPid: 1 };
  const s = JSON.parse(readFileSync(statePath, 'utf8'));
  s.nextPid ??= 1;
  return s;
}
function saveState(state) {
  mkdirSync(stateDir, { recursive: true });
  const tmp = `${statePath}.${process.pid}`;
  writeFileSync(tmp, JSON.stringify(state, null, 2));
  renameSync(tmp, statePath);
}

const known = [
  'islandora_datastream_crud_fetch_pids',
  'islandora_datastream_crud_fetch_datastreams',
  'islandora_bulk_delete_delete',
  'islandora_batch_with_derivs_preprocess',
  'islandora_book_batch_preprocess',
  'islandora_batch_ingest',
];
if (!command || !known.includes(command)) {
  fail(
    `The drush command '${positional.join(' ')}' could not be found.  Run \`drush cache-clear drush\` to clear the commandfile cache if you have installed new extensions.`,
  );
}

// Bootstrap: every Islandora command needs a Drupal root.
const root = options.root;
if (typeof root !== 'string' || !existsSync(join(root, 'sites', 'default', 'settings.php'))) {
  fail(
    `Command ${command} needs a higher bootstrap level to run - you will need to invoke drush from a more functional Drupal environment to run this command.`,
  );
}
const needsAdmin = command !== 'islandora_datastream_crud_fetch_pids';
if (needsAdmin && String(options.user) !== '1') {
  fail(`Access denied: ${command} must run as an administrator; add --user=1.`);
}

const state = loadState();

function loadFaults() {
  const path = join(stateDir, 'faults.json');
  return existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : [];
}
/** Takes the first matching fault out of faults.json and records it in fired.json. */
function takeFault(match) {
  const faults = loadFaults();
  const i = faults.findIndex(match);
  if (i === -1) return undefined;
  const [fault] = faults.splice(i, 1);
  writeFileSync(join(stateDir, 'faults.json'), JSON.stringify(faults, null, 2));
  const firedPath = join(stateDir, 'fired.json');
  const fired = existsSync(firedPath) ? JSON.parse(readFileSync(firedPath, 'utf8')) : [];
  fired.push({ ...fault, at: new Date().toISOString() });
  writeFileSync(firedPath, JSON.stringify(fired, null, 2));
  return fault;
}

function unescapeSolr(s) {
  return s.replace(/\\(.)/g, '$1');
}
function objectDir(pid) {
  return join(objectsDir, pid.replace(':', '+'));
}

/** islandora_datastream_crud_query_solr: "N matching objects found." when any. */
function querySolr(q) {
  let found = [];
  let m;
  if ((m = /^PID:((?:\\.|[^\s])+)$/.exec(q))) {
    const pid = unescapeSolr(m[1]);
    if (state.objects[pid]) found = [pid];
  } else if ((m = /^dc\.identifier:((?:\\.|[^\s])+) AND dc\.type:Collection$/.exec(q))) {
    const id = unescapeSolr(m[1]);
    found = Object.entries(state.objects)
      .filter(([, o]) => o.dcIdentifier === id && o.models.includes('islandora:collectionCModel'))
      .map(([pid]) => pid);
  } else if ((m = /^RELS_EXT_isMemberOf_uri_t:"(?:info:fedora\/)?([^"]+)"$/.exec(q))) {
    found = Object.entries(state.objects).filter(([, o]) => o.isMemberOf === m[1]).map(([pid]) => pid);
  }
  if (found.length) log(`${found.length} matching objects found.`, 'ok');
  return found;
}

function fetchPids() {
  let q = '';
  if (options.is_member_of) {
    if (!state.objects[options.is_member_of]) {
      setError(`The specified parent object (${options.is_member_of}) is not found or is not accessible.`);
    }
    q = `RELS_EXT_isMemberOf_uri_t:"${options.is_member_of}"`;
  }
  if (typeof options.solr_query === 'string') q = options.solr_query.replace(/^'(.*)'$/s, '$1');
  const found = querySolr(q);
  if (found.length === 0) {
    setError('Sorry, no PIDS were found.');
    return;
  }
  if (typeof options.pid_file === 'string') {
    writeFileSync(options.pid_file, found.map((p) => `${p}\n`).join(''), { flag: 'a' });
    log(`PIDS written to file ${options.pid_file}`, 'ok');
  } else {
    process.stdout.write(found.map((p) => `${p}\n`).join(''));
  }
}

/** islandora_datastream_crud_read_pid_file: trimmed lines, commented ones skipped. */
function readPidFile(path) {
  if (typeof path !== 'string' || !existsSync(path)) {
    setError(`The specified PID file (${path}) does not exist.`);
    process.exit(exitCode);
  }
  return readFileSync(path, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !/(#|\/\/)/.test(l));
}

const EXTENSIONS = { 'text/xml': 'xml', 'application/xml': 'xml', 'image/jp2': 'jp2', 'image/jpeg': 'jpg', 'text/plain': 'txt', 'text/html': 'html' };

function fetchDatastreams() {
  const dsid = options.dsid;
  const dir = options.datastreams_directory;
  if (existsSync(dir)) {
    if (!confirm(`Datastreams directory ${dir} already exists. Any datastream files from the same object PID/datastream ID combination that already exist in it will be overwritten. Do you want to want to continue?`)) userAbort('Exiting, no datastreams fetched.');
  } else {
    if (!confirm(`Datastreams directory ${dir} does not exist. Do you want to create it and continue?`)) userAbort('Exiting, no datastreams fetched.');
    mkdirSync(dir);
  }
  const pids = readPidFile(options.pid_file);
  if (pids.length === 0) setError(`The specified PID file (${options.pid_file}) contains no PIDS.`);
  for (const pid of pids) {
    const object = state.objects[pid];
    if (!object) {
      setError(`The specified object (${pid}) does not exist or is not accessible.`);
      log(`Datastream ${dsid} not retrieved for object ${pid}`, 'warning');
      continue;
    }
    const ds = object.datastreams?.[dsid];
    if (!ds) {
      log(`Object ${pid} does not have a ${dsid} datastream`, 'status');
      log(`Datastream ${dsid} not retrieved for object ${pid}`, 'warning');
      continue;
    }
    const ext = typeof options.datastreams_extension === 'string' ? options.datastreams_extension : (EXTENSIONS[ds.mimetype] ?? 'bin');
    copyFileSync(join(objectDir(pid), dsid), join(dir, `${pid.replace(':', '_')}_${dsid}.${ext}`));
    log(`${dsid} datastream for object ${pid} retrieved`, 'ok');
  }
}

/** islandora_paged_content_get_pages: the objects whose isPageOf is the book. */
function pagesOf(pid) {
  return Object.entries(state.objects).filter(([, o]) => o.isPageOf === pid).map(([p]) => p);
}

function purge(pid) {
  delete state.objects[pid];
  rmSync(objectDir(pid), { recursive: true, force: true });
}

function bulkDelete() {
  if (typeof options.pid_file !== 'string' || !existsSync(options.pid_file)) {
    process.stdout.write(`The PID file ${options.pid_file} doesn't exist\n`);
    process.exit(0);
  }
  const pids = readPidFile(options.pid_file);
  if (pids.length === 0) {
    process.stdout.write('There are no matching objects to delete.\n');
    process.exit(0);
  }
  if (!confirm(`${pids.length} objects found. Are you sure you want to continue? If you respond 'y', the objects will be deleted. This action is not reversible`)) {
    userAbort('Aborting.');
  }
  process.stdout.write('OK, deleting all those objects and any pages that are attached.\n');
  for (const pid of pids) {
    const object = state.objects[pid];
    if (!object) {
      // islandora_object_load() is FALSE: PHP warns and the loop goes on.
      process.stderr.write(`Trying to get property 'models' of non-object islandora_bulk_delete.drush.inc:158   [warning]\n`);
      continue;
    }
    if (object.models[0] === 'islandora:bookCModel') {
      for (const page of pagesOf(pid)) {
        purge(page);
        process.stdout.write(`Deleted ${page}\n`);
      }
    }
    purge(pid);
    process.stdout.write(`Deleted ${pid}\n`);
  }
  saveState(state);
}

function subdirs(dir) {
  return readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();
}
function files(dir) {
  return readdirSync(dir, { withFileTypes: true }).filter((e) => e.isFile()).map((e) => e.name).sort();
}
function checkXml(path) {
  const r = XMLValidator.validate(readFileSync(path, 'utf8'));
  if (r !== true) uncaught(`Failed to parse ${path}: ${r.err.msg} (line ${r.err.line})`);
}
function scanTarget() {
  const t = options.scan_target ?? options.target;
  if (typeof t !== 'string' || !existsSync(t) || !statSync(t).isDirectory()) {
    fail(`The scan target ${t ?? '(none)'} is not a readable directory.`);
  }
  return t;
}
function newSet(kind, items) {
  const id = state.nextSet++;
  state.sets[id] = { kind, items };
  return id;
}
const MIME = { xml: 'text/xml', jp2: 'image/jp2', jpg: 'image/jpeg', txt: 'text/plain', html: 'text/html', json: 'application/json' };
/** Each file of an object folder is a datastream: its basename the DSID, its extension the MIME type. */
function datastreamsOf(dir) {
  return Object.fromEntries(
    files(dir).map((n) => [n.replace(/\.[^.]*$/, ''), { mimetype: MIME[n.split('.').pop()] ?? 'application/octet-stream', source: join(dir, n) }]),
  );
}

function batchWithDerivsPreprocess() {
  const target = scanTarget();
  const key = options.key_datastream ?? 'MODS';
  const models = String(options.content_models ?? '').split(',').filter(Boolean);
  if (models.length === 0) fail('--content_models is required.');
  const usePids = /^true$/i.test(String(options.use_pids ?? ''));
  const items = [];
  for (const dir of subdirs(target)) {
    const path = join(target, dir);
    const names = files(path);
    if (!names.some((n) => n.replace(/\.[^.]*$/, '') === key)) {
      fail(`Object directory ${dir} has no ${key} datastream file; it was not added to the batch.`);
    }
    for (const n of names.filter((n) => n.endsWith('.xml'))) checkXml(join(path, n));
    const pid = usePids && dir.includes('+') ? dir.replace('+', ':') : `${options.namespace ?? 'islandora'}:${dir}`;
    if (!isValidPid(pid)) uncaught(`${pid} is not a valid PID.`);
    if (state.objects[pid]) continue; // Existing PIDs are skipped (a watchdog entry in the real module).
    items.push({ pid, models, parent: options.parent ?? 'islandora:root', datastreams: datastreamsOf(path), dcIdentifier: pid, label: dir });
  }
  const id = newSet('batch_with_derivs', items);
  saveState(state);
  log(`SetId: ${id}`, 'ok');
}

function bookBatchPreprocess() {
  const target = scanTarget();
  const parent = options.parent ?? 'islandora:bookCollection';
  if (!state.objects[parent] && parent !== 'islandora:bookCollection') {
    setError(`"${parent}" does not exist or is not accessible. `);
    process.exit(exitCode);
  }
  const models = String(options.content_models ?? 'islandora:bookCModel').split(',');
  const items = [];
  for (const book of subdirs(target)) {
    const bookPath = join(target, book);
    const bookFiles = files(bookPath);
    for (const n of bookFiles.filter((n) => n.endsWith('.xml'))) checkXml(join(bookPath, n));
    // Caltech patch: a "+" in the directory name of a book gives its PID.
    let pid;
    if (models.includes('islandora:bookCModel') && book.includes('+')) pid = book.replace('+', ':');
    else pid = `${options.namespace ?? 'islandora'}:${state.nextPid++}`;
    if (!isValidPid(pid)) uncaught(`${pid} is not a valid PID.`);
    const pages = [];
    for (const page of subdirs(bookPath)) {
      if (!/^\d+$/.test(page)) {
        uncaught(`Bad Batch. Page numbers must be numeric. "${book}/${page}" is not numeric.`);
      }
      const names = files(join(bookPath, page));
      const stems = names.map((n) => n.replace(/\.[^.]*$/, ''));
      if (!stems.includes('OBJ')) uncaught(`Bad Batch. Page ${book}/${page} has no OBJ file.`);
      if (!['MODS', 'DC', '--METADATA--'].some((s) => stems.includes(s))) {
        uncaught(`Bad Batch. Page ${book}/${page} has no metadata file (MODS.xml, DC.xml or --METADATA--.xml).`);
      }
      for (const n of names.filter((n) => n.endsWith('.xml'))) checkXml(join(bookPath, page, n));
      pages.push({ sequence: Number(page), datastreams: datastreamsOf(join(bookPath, page)) });
    }
    if (state.objects[pid]) continue; // Caltech patch: existing PID skipped with a watchdog warning.
    items.push({ pid, models, parent, datastreams: datastreamsOf(bookPath), pages, label: book });
  }
  const id = newSet('book_batch', items);
  saveState(state);
  if (/^true$/i.test(String(options.output_set_id ?? ''))) process.stdout.write(`${id}\n`);
}

/** Copies the staged files into the repository (Fedora keeps its own copy of each datastream). */
function store(pid, object, datastreams) {
  const dir = objectDir(pid);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const kept = {};
  for (const [dsid, ds] of Object.entries(datastreams)) {
    copyFileSync(ds.source, join(dir, dsid));
    kept[dsid] = { mimetype: ds.mimetype };
  }
  state.objects[pid] = { ...object, datastreams: kept };
}

/** Sleeps without an event loop (drush is synchronous PHP). */
function sleepMs(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

/** islandora_batch_get_lock for one set: waits while another ingest of the set holds it. */
function lockSet(setId) {
  const lock = join(stateDir, 'locks', `islandora_batch_ingest_set_${setId}`);
  mkdirSync(join(stateDir, 'locks'), { recursive: true });
  const until = Date.now() + 1_200_000; // lock_wait: a third of the hour's lock
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      break;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      // A lock whose holder is gone has expired (Drupal's semaphore rows expire too).
      const holder = Number(existsSync(join(lock, 'pid')) ? readFileSync(join(lock, 'pid'), 'utf8') : 0);
      if (holder > 0 && !alive(holder)) {
        rmSync(lock, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > until) fail(`Could not acquire the ingest lock of set ${setId}.`);
      sleepMs(100);
    }
  }
  process.on('exit', () => rmSync(lock, { recursive: true, force: true }));
}

function ingest() {
  const setId = String(options.ingest_set);
  lockSet(setId);
  // What another ingest of this set did while this one waited counts: read the state again.
  Object.assign(state, loadState());
  const slow = takeFault((f) => f.fault === 'slow-ingest' && (f.kind === undefined || f.kind === state.sets[setId]?.kind));
  if (slow) {
    // A client that disconnects closes our pipes; drush (PHP) goes on without a terminal.
    process.on('SIGHUP', () => undefined);
    process.stdout.on('error', () => undefined);
    process.stderr.on('error', () => undefined);
  }
  const run = { set: setId, pid: process.pid, startedAt: new Date().toISOString(), ingested: [] };
  (state.ingestRuns ??= []).push(run);
  const set = state.sets[setId];
  for (const item of set?.items ?? []) {
    if (item.ingested || state.objects[item.pid]) continue;
    // islandora_book_batch: pages (READY) go first; the book (PENDING_CHILDREN) only once all are done.
    let pagesDone = true;
    for (const page of item.pages ?? []) {
      if (page.pid && state.objects[page.pid]) continue;
      page.pid ??= `${item.pid.split(':')[0]}:${state.nextPid++}`;
      if (takeFault((f) => f.fault === 'page-ingest-fails' && f.book === item.pid && Number(f.page) === page.sequence)) {
        log(`Exception occured: Failed to ingest ${page.pid}.`, 'error');
        pagesDone = false;
        continue;
      }
      store(page.pid, {
        models: ['islandora:pageCModel'],
        isMemberOf: item.pid,
        isPageOf: item.pid,
        sequence: page.sequence,
        label: `${item.pid}-${page.sequence}`,
      }, page.datastreams);
      run.ingested.push(page.pid);
      log(`Ingested ${page.pid}.`, 'ok');
    }
    if (!pagesDone) continue;
    store(item.pid, {
      models: item.models,
      parent: item.parent,
      dcIdentifier: item.dcIdentifier ?? item.pid,
      label: item.label,
    }, item.datastreams);
    item.ingested = true;
    run.ingested.push(item.pid);
    log(`Ingested ${item.pid}.`, 'ok');
  }
  saveState(state);
  if (slow) sleepMs(Number(slow.seconds) * 1000);
  log('Processing complete; review the queue for some additional', 'status');
  process.stderr.write('information.\n');
}

switch (command) {
  case 'islandora_datastream_crud_fetch_pids':
    fetchPids();
    break;
  case 'islandora_datastream_crud_fetch_datastreams':
    fetchDatastreams();
    break;
  case 'islandora_bulk_delete_delete':
    bulkDelete();
    break;
  case 'islandora_batch_with_derivs_preprocess':
    batchWithDerivsPreprocess();
    break;
  case 'islandora_book_batch_preprocess':
    bookBatchPreprocess();
    break;
  case 'islandora_batch_ingest':
    ingest();
    break;
}
process.exit(exitCode);
