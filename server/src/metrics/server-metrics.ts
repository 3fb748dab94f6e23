/**
 * The server's Prometheus metrics. Each app gets its own Registry (never prom-client's global one), so
 * several apps in one process — as in the tests — neither share values nor clash on names.
 *
 * Gauges are computed at scrape time from the room directory and the worker pool; the counters and the
 * join histogram are fed by the edge and rooms layers through the small recorder interface below,
 * which is all they see of prom-client.
 */
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import { RequestSchemas, type ErrorCode, type MethodName } from '../../../protocol/src';
import type { RoomDirectory } from '../rooms/room-directory';
import type { WorkerPool } from '../media/worker-pool';
import { registerRoomGauges } from './room-gauges';
import { registerWorkerMetrics } from './worker-metrics';
import { RATE_LIMIT_KINDS, type LimitMetrics } from '../limits/ws-limits';

/**
 * The method label: a protocol method, or 'invalid' for anything unreadable or unknown. Clients choose
 * the method string, so it never becomes a label as sent — that would let anyone mint series at will.
 */
export type MessageLabel = MethodName | 'invalid';

export interface ServerMetrics extends LimitMetrics {
  readonly registry: Registry;
  /** A request arrived (counted once, before it is handled). */
  countMessage(method: MessageLabel): void;
  /** A request was answered with an error. */
  countError(method: MessageLabel, code: ErrorCode): void;
  /** A join succeeded, this long after it was received. */
  observeJoin(seconds: number): void;
}

/** From a warm room (a few ms) to a cold router on a loaded worker (seconds). */
const JOIN_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export function createServerMetrics(deps: { directory: RoomDirectory; pool: WorkerPool }): ServerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  registerRoomGauges(registry, deps.directory);
  registerWorkerMetrics(registry, deps.pool);

  const messages = new Counter({
    name: 'confero_ws_messages_total',
    help: 'WebSocket requests received, by method (unreadable or unknown ones as method="invalid").',
    labelNames: ['method'] as const,
    registers: [registry],
  });
  // Every method starts at 0, so rate() sees the first request of each.
  for (const method of [...Object.keys(RequestSchemas), 'invalid']) messages.inc({ method }, 0);
  const errors = new Counter({
    name: 'confero_ws_errors_total',
    help: 'WebSocket requests answered with an error, by method and protocol error code.',
    labelNames: ['method', 'code'] as const,
    registers: [registry],
  });
  const joins = new Histogram({
    name: 'confero_join_duration_seconds',
    help: 'Successful joins: from the join request being received to its answer.',
    buckets: JOIN_BUCKETS,
    registers: [registry],
  });

  const rateLimited = new Counter({
    name: 'confero_rate_limited_total',
    help: 'Requests and connections refused by an abuse limit, by kind (ws_request, ws_flood_closed, ws_connection, join, http).',
    labelNames: ['kind'] as const,
    registers: [registry],
  });
  for (const kind of RATE_LIMIT_KINDS) rateLimited.inc({ kind }, 0);

  return {
    registry,
    countRateLimited: (kind) => rateLimited.inc({ kind }),
    countMessage: (method) => messages.inc({ method }),
    countError: (method, code) => errors.inc({ method, code }),
    observeJoin: (seconds) => joins.observe(seconds),
  };
}
