/**
 * The three message shapes on the WebSocket, all JSON text frames:
 *   request       client → server   {id, method, data}
 *   response      server → client   {id, ok: true, data} | {id, ok: false, error: {code, message}}
 *   notification  server → client   {method, data}   (no id, no answer)
 */
import { Type, type Static } from '@sinclair/typebox';
import type { ProtocolErrorBody } from './errors';

export const RequestEnvelope = Type.Object({
  id: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
  method: Type.String({ minLength: 1, maxLength: 64 }),
  data: Type.Optional(Type.Unknown()),
});
export type RequestEnvelope = Static<typeof RequestEnvelope>;

export type SuccessResponse<T = unknown> = { id: number; ok: true; data: T };
/** id is null only when the request was too broken to carry one. */
export type ErrorResponse = { id: number | null; ok: false; error: ProtocolErrorBody };
export type Response<T = unknown> = SuccessResponse<T> | ErrorResponse;

export interface NotificationEnvelope<M extends string = string, D = unknown> {
  method: M;
  data: D;
}
