/**
 * Request validation for the admin routes with TypeBox's own compiler instead of Fastify's Ajv defaults,
 * which coerce types (`"true"` or `1` would pass as `muted: true`) and silently strip unknown properties.
 * An admin call that mutes someone should mean exactly what it says, so anything off the schema is a 400.
 */
import type { FastifySchemaCompiler } from 'fastify';
import type { TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';

export const strictValidatorCompiler: FastifySchemaCompiler<TSchema> = ({ schema, httpPart }) => {
  const check = TypeCompiler.Compile(schema);
  return (data: unknown) => {
    if (check.Check(data)) return { value: data };
    const first = check.Errors(data).First();
    const where = `${httpPart ?? 'request'}${first?.path ?? ''}`;
    return { error: new Error(`${where}: ${first?.message ?? 'does not match the schema'}`) };
  };
};
