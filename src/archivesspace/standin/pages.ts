/**
 * The plain, read-only pages the stand-in serves for the addresses Distillery hands out as links
 * (ASPACE_STAFF_URL/resolve/readonly?uri=… and ASPACE_PUBLIC_URL/<uri>), so every link in the demo
 * resolves. Real ArchivesSpace answers these with its staff interface (frontend
 * `resolver#resolve_readonly`) and its public interface (PUI record pages); the stand-in shows the
 * stored record: its title, identifiers, file versions and the JSON as the API returns it.
 */
import type { Express, Response } from 'express';
import type { StandInState, StoredRecord } from './state.js';

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export function readOnlyPages(app: Express, state: StandInState): void {
  app.get('/staff/resolve/readonly', (req, res) => {
    const uri = typeof req.query.uri === 'string' ? req.query.uri : '';
    page(res, state.get(uri), uri, 'staff interface');
  });
  app.get(/^\/public(\/repositories\/\d+\/[a-z_]+\/\d+)\/?$/, (req, res) => {
    const uri = (req.params as unknown as string[])[0];
    page(res, state.get(uri), uri, 'public interface');
  });
}

function page(res: Response, rec: StoredRecord | undefined, uri: string, where: string): void {
  res.type('text/html; charset=utf-8');
  if (!rec) {
    res.status(404).send(`<!doctype html><title>Not found</title><p>The ArchivesSpace stand-in holds no record ${escape(uri || '(no uri given)')}.</p>`);
    return;
  }
  const d = rec.data as Record<string, unknown>;
  const title = String(d.title ?? d.display_string ?? d.label ?? d.component_id ?? rec.uri);
  const facts: [string, unknown][] = [['URI', rec.uri], ['Type', rec.type], ['Identifier', d.component_id ?? d.digital_object_id ?? d.id_0], ['Level', d.level], ['Last modified', rec.mtime]];
  const versions = Array.isArray(d.file_versions) ? (d.file_versions as Record<string, unknown>[]) : [];
  res.send(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(title)} — ArchivesSpace stand-in</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 60rem; margin: 1rem auto; padding: 0 1rem">
<p style="background:#ddf4ff;padding:.4rem .8rem">ArchivesSpace stand-in (demo) — read-only view of the record as the ${where} would show it.</p>
<h1>${escape(title)}</h1>
<dl>${facts.filter(([, v]) => v !== undefined && v !== null && v !== '').map(([k, v]) => `<dt>${escape(k)}</dt><dd>${escape(String(v))}</dd>`).join('')}</dl>
${versions.length ? `<h2>File versions</h2><ul>${versions.map((v) => `<li>${escape(String(v.file_uri ?? ''))}${v.checksum ? ` <small>${escape(String(v.checksum_method ?? ''))} ${escape(String(v.checksum))}</small>` : ''}</li>`).join('')}</ul>` : ''}
<h2>Record</h2><pre style="white-space:pre-wrap">${escape(JSON.stringify(d, null, 2))}</pre>
</body></html>`);
}
