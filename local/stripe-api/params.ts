/**
 * Reading request parameters the way Stripe does: a parameter it does not know, or a value of the
 * wrong kind, is a 400 that names the parameter, never silently ignored. That strictness is the point
 * of a stand-in: a client bug shows up here rather than against the real API.
 */
import { invalidParam, missingParam, unknownParam } from './errors';
import type { FormHash, FormValue } from './form';

/** Every route accepts `expand`; the stand-in has nothing to expand, so it is read and ignored. */
export function rejectUnknown(params: FormHash, allowed: readonly string[]): void {
  const unknown = Object.keys(params).find((name) => name !== 'expand' && !allowed.includes(name));
  if (unknown !== undefined) throw unknownParam(unknown);
}

const has = (params: FormHash, name: string) => Object.hasOwn(params, name);

export function optionalString(params: FormHash, name: string): string | undefined {
  if (!has(params, name)) return undefined;
  const value = params[name]!;
  if (typeof value !== 'string') throw invalidParam(name, `Invalid string: ${name} must be a string`);
  return value;
}

export function requiredString(params: FormHash, name: string): string {
  const value = optionalString(params, name);
  if (value === undefined || value === '') throw missingParam(name);
  return value;
}

/** An array of strings, sent as `name[0]=a&name[1]=b` or `name[]=a&name[]=b`. */
export function optionalStringArray(params: FormHash, name: string): string[] | undefined {
  if (!has(params, name)) return undefined;
  const value = params[name]!;
  if (!Array.isArray(value) || !value.every((item): item is string => typeof item === 'string')) {
    throw invalidParam(name, `Invalid array: ${name} must be an array of strings (${name}[0]=…&${name}[1]=…)`);
  }
  return value;
}

export function optionalBoolean(params: FormHash, name: string): boolean | undefined {
  const value = optionalString(params, name);
  if (value === undefined) return undefined;
  if (value !== 'true' && value !== 'false') throw invalidParam(name, `Invalid boolean: ${value}`);
  return value === 'true';
}

export function integer(value: FormValue, param: string): number {
  if (typeof value !== 'string' || !/^-?\d{1,15}$/.test(value)) throw invalidParam(param, `Invalid integer: ${typeof value === 'string' ? value : param}`);
  return Number(value);
}

/**
 * Metadata as Stripe takes it: `metadata[key]=value`, where an empty value deletes that key on update,
 * and `metadata=` (empty) drops every key.
 */
export function optionalMetadata(params: FormHash, name = 'metadata'): { clear: boolean; values: Record<string, string> } | undefined {
  if (!has(params, name)) return undefined;
  const value = params[name]!;
  if (value === '') return { clear: true, values: {} };
  if (typeof value !== 'object' || Array.isArray(value)) throw invalidParam(name, `Invalid hash: ${name} must be set as ${name}[key]=value`);
  const values: Record<string, string> = {};
  for (const [key, item] of Object.entries(value as FormHash)) {
    if (typeof item !== 'string') throw invalidParam(`${name}[${key}]`, `Invalid string: ${name}[${key}] must be a string`);
    values[key] = item;
  }
  return { clear: false, values };
}
