#!/usr/bin/env node
/**
 * Stand-in for `drush` on an Islandora 7 server, for tests and the demo (Drupal 7, Fedora 3 and
 * drush cannot be installed here). It answers the commands Distillery runs with the same
 * arguments, output streams and exit codes as drush 7 with islandora_batch (Caltech patch),
 * islandora_book_batch, islandora_batch_with_derivs and islandora_datastream_crud:
 *
 *   drush --version                                        → stdout, exit 0
 *   drush --root=W islandora_datastream_crud_fetch_pids --solr_query=Q
 *                                                          → PIDs on stdout; none: "Sorry, no PIDS
 *                                                            were found. [error]" on stderr, exit 1
 *   drush --user=1 --root=W islandora_batch_with_derivs_preprocess … --scan_target=D --use_pids=TRUE
 *                                                          → "SetId: N [ok]" on stderr
 *   drush --user=1 --root=W islandora_book_batch_preprocess --output_set_id=TRUE --parent=P
 *         --scan_target=D --type=directory                 → "N" on stdout
 *   drush --user=1 --root=W islandora_batch_ingest --ingest_set=N
 *                                                          → "Ingested PID. [ok]" lines on stderr
 *
 * The staged tree is checked as the batch modules check it (numeric page folders, a metadata file
 * and an OBJ per page, well-formed XML, PID rules); a bad tree is refused at preprocess. Objects
 * are kept in $HOME/.islandora-standin/state.json, so a rerun sees what is already ingested.
 * Solr queries understood: `PID:ns\:id` and `dc.identifier:ns\:id AND dc.type:Collection`.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLValidator } from 'fast-xml-parser';

const PID_RE = /^([A-Za-z0-9]|-|\.)+:(([A-Za-z0-9])|-|\.|~|_|(%[0-9A-F]{2}))+$/;
const isValidPid = (pid) => pid.trim().length <= 64 && PID_RE.test(pid.trim());

/** drush_log / drush_set_error pad the message to 80 columns and append the type. */
function log(message, type) {
  process.stderr.write(`${message}${' '.repeat(Math.max(1, 76 - message.length))}[${type}]\n`);
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
  else positional.push(a);
}

if (options.version) {
  process.stdout.write(' Drush Version   :  7.4.0 \n');
  process.exit(0);
}

const command = positional[0];
const home = process.env.HOME ?? '/tmp';
const stateDir = join(home, '.islandora-standin');
const statePath = join(stateDir, 'state.json');

function loadState() {
  if (!existsSync(statePath)) return { objects: {}, sets: {}, nextSet: 1 };
  return JSON.parse(readFileSync(statePath, 'utf8'));
}
function saveState(state) {
  mkdirSync(stateDir, { recursive: true });
  const tmp = `${statePath}.${process.pid}`;
  writeFileSync(tmp, JSON.stringify(state, null, 2));
  renameSync(tmp, statePath);
}

const known = [
  'islandora_datastream_crud_fetch_pids',
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

function unescapeSolr(s) {
  return s.replace(/\\(.)/g, '$1');
}

function fetchPids() {
  const q = typeof options.solr_query === 'string' ? options.solr_query.replace(/^'(.*)'$/s, '$1') : '';
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
  }
  if (found.length === 0) fail('Sorry, no PIDS were found.');
  process.stdout.write(found.map((p) => `${p}\n`).join(''));
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
    items.push({
      pid,
      models,
      parent: options.parent ?? 'islandora:root',
      datastreams: names.map((n) => n.replace(/\.[^.]*$/, '')),
      dcIdentifier: pid,
      label: dir,
    });
  }
  const id = newSet('batch_with_derivs', items);
  saveState(state);
  log(`SetId: ${id}`, 'ok');
}

function bookBatchPreprocess() {
  const target = scanTarget();
  const parent = options.parent ?? 'islandora:bookCollection';
  if (!state.objects[parent] && parent !== 'islandora:bookCollection') {
    fail(`The parent object ${parent} does not exist.`);
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
    else pid = `${options.namespace ?? 'islandora'}:auto${state.nextSet}${items.length}`;
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
      pages.push({ sequence: Number(page), datastreams: stems });
    }
    if (state.objects[pid]) continue; // Caltech patch: existing PID skipped with a watchdog warning.
    items.push({
      pid,
      models,
      parent,
      datastreams: bookFiles.map((n) => n.replace(/\.[^.]*$/, '')),
      pages,
      label: book,
    });
  }
  const id = newSet('book_batch', items);
  saveState(state);
  if (/^true$/i.test(String(options.output_set_id ?? ''))) process.stdout.write(`${id}\n`);
}

function ingest() {
  const set = state.sets[String(options.ingest_set)];
  for (const item of set?.items ?? []) {
    if (item.ingested || state.objects[item.pid]) continue;
    state.objects[item.pid] = {
      models: item.models,
      parent: item.parent,
      datastreams: item.datastreams,
      pages: item.pages ?? [],
      dcIdentifier: item.dcIdentifier ?? item.pid,
      label: item.label,
    };
    item.ingested = true;
    log(`Ingested ${item.pid}.`, 'ok');
    for (const page of item.pages ?? []) log(`Ingested ${item.pid}-${String(page.sequence).padStart(4, '0')}.`, 'ok');
  }
  saveState(state);
  log('Processing complete; review the queue for some additional', 'status');
  process.stderr.write('information.\n');
}

switch (command) {
  case 'islandora_datastream_crud_fetch_pids':
    fetchPids();
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
