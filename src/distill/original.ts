/**
 * Recognising what the Python Distillery (caltechlibrary/distillery) already made for a folder,
 * so a rerun here continues it instead of doubling it. Its digital object has the component id as
 * `digital_object_id` (found as this project finds its own). Its components, one per image, come
 * in two shapes, read from its source:
 *
 * - 2022 (distill.py at 8dacb3c, prepare_digital_object_component): `component_id` a random
 *   `xxxx_xxxx`, `label` "Image <sequence>", one file version
 *   `https://<bucket>.s3-us-west-2.amazonaws.com/<collection>/…/<folder id>_<sequence>/<id>.jp2`
 *   (md5, size, "JPEG 2000", image-master).
 * - 2024 (distillery.py at d7d919f, construct_digital_object_component / construct_file_version):
 *   `component_id` the preserved file's stem (`xxxx_xxxx`), `label` the original file's name
 *   (`HaleGE_001_02_0001.tif`), file versions `s3://<bucket>/<collection>/<component id>--<title>/
 *   <file name>/<id>.<ext>` and `tape://<indicator>/<same key>` (md5, size).
 *
 * A component is matched to an image by a file version's path first (the folder-and-sequence
 * segment of 2022, the file-name segment of 2024), then by its label.
 */
import type { ComponentRecord, FileVersion } from '../archivesspace/types.js';
import { folderId } from '../collection/folderPaths.js';
import { s3ObjectOf } from '../destinations/s3/keys.js';

export interface ImageRef {
  /** File name, e.g. HaleGE_001_02_0001.tif. */
  name: string;
  /** Zero-padded sequence, e.g. "0001". */
  sequence: string;
}

/** The path segments of a file version's address (S3 in any form, or tape://<indicator>/<key>). */
function segments(fileUri: string): string[] {
  const o = fileUri.startsWith('tape://') ? { key: fileUri.slice('tape://'.length).split('/').slice(1).join('/') } : s3ObjectOf(fileUri);
  return o ? o.key.split('/') : [];
}

/** Which existing component stands for which image (by image file name); each used once. */
export function matchComponents(folderName: string, images: readonly ImageRef[], components: readonly ComponentRecord[]): Map<string, ComponentRecord> {
  const out = new Map<string, ComponentRecord>();
  const taken = new Set<string>();
  const fid = folderId(folderName);
  const rules: ((img: ImageRef, c: ComponentRecord) => boolean)[] = [
    (img, c) => c.fileVersions.some((fv) => segments(fv.file_uri).includes(img.name)),
    (img, c) => c.fileVersions.some((fv) => segments(fv.file_uri).includes(`${fid}_${img.sequence}`)),
    (img, c) => c.label === img.name,
    (img, c) => c.label === `Image ${img.sequence}`,
  ];
  for (const rule of rules) {
    for (const img of images) {
      if (out.has(img.name)) continue;
      const hit = components.find((c) => !taken.has(c.uri) && rule(img, c));
      if (hit) {
        out.set(img.name, hit);
        taken.add(hit.uri);
      }
    }
  }
  return out;
}

export interface OriginalCopy {
  bucket: string;
  key: string;
  fileVersion: FileVersion;
}

/**
 * The copies in `bucket` a component's file versions name outside this project's OCFL storage
 * root (`ourPrefix`): the original's loose JP2s (2022) or files (2024).
 */
export function originalS3Copies(fileVersions: readonly FileVersion[], bucket: string, ourPrefix: string): OriginalCopy[] {
  const out: OriginalCopy[] = [];
  for (const fv of fileVersions) {
    if (fv.file_uri.startsWith('tape://')) continue;
    const o = s3ObjectOf(fv.file_uri);
    if (!o || o.bucket !== bucket || (ourPrefix && o.key.startsWith(ourPrefix))) continue;
    out.push({ ...o, fileVersion: fv });
  }
  return out;
}
