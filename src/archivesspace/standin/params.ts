/**
 * Parameter coercion as ArchivesSpace's rest.rb does it: declared parameters only (undeclared ones
 * are dropped), Rack array notation `name[]=a` or indexed `name[0]=a`, and 400 bodies with the
 * real messages for a missing value, a wrong type, or an array sent without `[]`.
 */
import { apiErrors } from './apiError.js';

export type ParamType = 'string' | 'int' | 'bool' | 'string[]' | 'int[]';

export interface ParamSpec {
  name: string;
  type: ParamType;
  required?: boolean;
  default?: string | number | boolean;
}

export type ParamValues = Record<string, string | number | boolean | string[] | number[] | undefined>;

export function parseParams(specs: ParamSpec[], source: URLSearchParams): ParamValues {
  const out: ParamValues = {};
  const errors: Record<string, string[]> = {};
  for (const spec of specs) {
    const isArray = spec.type.endsWith('[]');
    if (isArray) {
      const plain = source.get(spec.name);
      if (plain !== null) {
        errors[spec.name] = [
          `Wanted type [${spec.type === 'int[]' ? 'Integer' : 'String'}] but got '${plain}'.  Perhaps you meant to specify an array like: ${spec.name}[]=${plain}`,
        ];
        continue;
      }
      const values = arrayValues(spec.name, source);
      if (values.length === 0) {
        if (spec.required) errors[spec.name] = ['Parameter required but no value provided'];
        continue;
      }
      if (spec.type === 'int[]') {
        const bad = values.find((v) => !/^-?\d+$/.test(v));
        if (bad !== undefined) {
          errors[spec.name] = [`Wanted type [Integer] but got '${bad}'`];
          continue;
        }
        out[spec.name] = values.map(Number);
      } else {
        out[spec.name] = values;
      }
      continue;
    }
    const raw = source.get(spec.name);
    if (raw === null || raw === '') {
      if (spec.default !== undefined) out[spec.name] = spec.default;
      else if (spec.required) errors[spec.name] = ['Parameter required but no value provided'];
      continue;
    }
    if (spec.type === 'int') {
      if (!/^-?\d+$/.test(raw)) errors[spec.name] = [`Wanted type Integer but got '${raw}'`];
      else out[spec.name] = Number(raw);
    } else if (spec.type === 'bool') {
      const l = raw.toLowerCase();
      if (l === 'true' || l === 'false') out[spec.name] = l === 'true';
      else errors[spec.name] = [`Wanted type Boolean but got '${raw}'`];
    } else {
      out[spec.name] = raw;
    }
  }
  if (Object.keys(errors).length > 0) throw apiErrors.params(errors);
  return out;
}

/** `name[]=a&name[]=b`, or `name[1]=b&name[0]=a` sorted by index (process_indexed_params). */
function arrayValues(name: string, source: URLSearchParams): string[] {
  const bracketed = source.getAll(`${name}[]`);
  if (bracketed.length > 0) return bracketed;
  const indexed: [number, string][] = [];
  const re = new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\[(\\d+)\\]$`);
  for (const [k, v] of source) {
    const m = re.exec(k);
    if (m) indexed.push([Number(m[1]), v]);
  }
  return indexed.sort((a, b) => a[0] - b[0]).map(([, v]) => v);
}
