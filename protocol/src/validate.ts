/**
 * Compiled validators for requests. The server validates every incoming message with these; the client
 * may use them in development. Errors are summarised in one line naming the offending path.
 */
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import type { TSchema } from '@sinclair/typebox';
import { RequestEnvelope } from './envelope';
import { RequestSchemas, type MethodName, type RequestData } from './methods';

const envelopeCheck = TypeCompiler.Compile(RequestEnvelope);
const dataChecks = Object.fromEntries(Object.entries(RequestSchemas).map(([method, schema]) => [method, TypeCompiler.Compile(schema as TSchema)])) as Record<
  MethodName,
  TypeCheck<TSchema>
>;

export type Validation<T> = { ok: true; value: T } | { ok: false; message: string };

function firstError(check: TypeCheck<TSchema>, value: unknown): string {
  const error = check.Errors(value).First();
  if (!error) return 'invalid value';
  return `${error.path || '/'}: ${error.message}`;
}

export function isMethod(method: string): method is MethodName {
  return Object.prototype.hasOwnProperty.call(RequestSchemas, method);
}

export function validateEnvelope(value: unknown): Validation<{ id: number; method: string; data?: unknown }> {
  if (envelopeCheck.Check(value)) return { ok: true, value };
  return { ok: false, message: firstError(envelopeCheck, value) };
}

export function validateRequestData<M extends MethodName>(method: M, data: unknown): Validation<RequestData<M>> {
  const check = dataChecks[method];
  const value = data ?? {};
  if (check.Check(value)) return { ok: true, value: value as RequestData<M> };
  return { ok: false, message: firstError(check, value) };
}
