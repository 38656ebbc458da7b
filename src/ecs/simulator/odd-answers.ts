/** The `ODD_ANSWER_KINDS` faults: what the simulator sends instead of (or around) the real answer, one rule per kind. */
import { HTML_503 } from './protocol';
import type { OddAnswerKind, SimFault, SimTask } from './types';
import { ODD_ANSWER_KINDS } from './types';

type Json = Record<string, unknown>;

export interface OddAnswer {
  body: string;
  contentType: string;
  /** Send this many bytes of the body (with the full Content-Length), then reset the connection. */
  resetAfterBytes?: number;
}

export interface OddAnswerContext {
  action: string;
  params: Record<string, string>;
  /** The real answer of the same action with other parameters (another task's answer). */
  answerWith(params: Record<string, string>): Json;
  /** Tasks of the call's region that exist now. */
  existingTasks(): SimTask[];
  fault: SimFault;
}

const JSON_TYPE = 'application/json;charset=utf-8';
const DEFAULT_HUGE_BYTES = 5 * 1024 * 1024;
/** Far beyond any real account, so a client that trusts it never stops paging. */
const ENDLESS_TOTAL_COUNT = 1_000_000_000;
const NOT_ASKED_TASK_ID = 't-notaskedfor00000000';

const json = (value: unknown): OddAnswer => ({ body: JSON.stringify(value), contentType: JSON_TYPE });
const entriesOf = (answer: Json): Json[] => ((answer.TaskSet as { Task?: Json[] } | undefined)?.Task ?? []).map((t) => ({ ...t }));
const withEntries = (answer: Json, entries: Json[]): Json => ({ ...answer, TaskSet: { Task: entries } });
const askedIds = (params: Record<string, string>) => new Set((params.TaskIds ?? params.TaskId ?? '').split(',').map((s) => s.trim()));
const isList = (ctx: OddAnswerContext) => ctx.action === 'DescribeTasks';

/** A finished task nobody asked for: the completion a careless client would invent. */
const notAskedEntry = (): Json => ({
  TaskId: NOT_ASKED_TASK_ID,
  TaskAction: 'ImportImage',
  TaskStatus: 'Finished',
  SupportCancel: 'false',
  CreationTime: '2026-01-01T00:00Z',
  FinishedTime: '2026-01-01T00:05Z',
});

function otherTask(answer: Json, ctx: OddAnswerContext): Json {
  const asked = askedIds(ctx.params);
  const other = ctx.existingTasks().find((t) => !asked.has(t.taskId));
  if (isList(ctx)) {
    const extra = other ? entriesOf(ctx.answerWith({ ...ctx.params, TaskIds: other.taskId, PageNumber: '1' }))[0] : undefined;
    return withEntries(answer, [...entriesOf(answer), extra ?? notAskedEntry()]);
  }
  return other ? ctx.answerWith({ ...ctx.params, TaskId: other.taskId }) : { ...answer, TaskId: NOT_ASKED_TASK_ID };
}

function wrongTypes(answer: Json, ctx: OddAnswerContext): Json {
  if (isList(ctx)) {
    const entries = entriesOf(answer).map((e) => ({ ...e, TaskStatus: 3 }));
    return entries.length ? withEntries(answer, entries) : { ...answer, TotalCount: 'many' };
  }
  return { ...answer, TaskStatus: 3, TotalCount: 'one', SuccessCount: true, TaskProcess: { Value: 100 } };
}

function missingTaskId(answer: Json, ctx: OddAnswerContext): Json {
  const drop = ({ TaskId: _dropped, ...rest }: Json) => rest;
  return isList(ctx) ? withEntries(answer, entriesOf(answer).map(drop)) : drop(answer);
}

/** Every page is full and promises more: the page's real entries, repeated, or invented ones when there are none. */
function endlessPaging(answer: Json, ctx: OddAnswerContext): Json {
  if (!isList(ctx)) return answer;
  const pageSize = Number(answer.PageSize) || 10;
  const page = Number(answer.PageNumber) || 1;
  const real = entriesOf(answer);
  const entries = Array.from({ length: pageSize }, (_, i) => real[i % Math.max(1, real.length)] ?? { ...notAskedEntry(), TaskId: `t-endless${page}x${i}` });
  return { ...withEntries(answer, entries), TotalCount: ENDLESS_TOTAL_COUNT };
}

const ODD_ANSWERS: Record<OddAnswerKind, (answer: Json, ctx: OddAnswerContext) => OddAnswer> = {
  html200: () => ({ body: HTML_503, contentType: 'text/html' }),
  emptyBody: () => ({ body: '', contentType: JSON_TYPE }),
  truncatedJson: (answer) => {
    const body = JSON.stringify(answer);
    return { body: body.slice(0, Math.floor(body.length / 2)), contentType: JSON_TYPE };
  },
  notAnObject: (answer) => json([answer]),
  jsonNull: () => json(null),
  wrongTypes: (answer, ctx) => json(wrongTypes(answer, ctx)),
  missingTaskId: (answer, ctx) => json(missingTaskId(answer, ctx)),
  otherTask: (answer, ctx) => json(otherTask(answer, ctx)),
  endlessPaging: (answer, ctx) => json(endlessPaging(answer, ctx)),
  hugeBody: (answer, ctx) => json({ ...answer, Padding: 'x'.repeat(ctx.fault.bytes ?? DEFAULT_HUGE_BYTES) }),
  resetMidBody: (answer) => {
    const body = JSON.stringify(answer);
    return { body, contentType: JSON_TYPE, resetAfterBytes: Math.floor(body.length / 2) };
  },
};

export function isOddAnswerFault(fault: SimFault | undefined): fault is SimFault & { kind: OddAnswerKind } {
  return fault !== undefined && (ODD_ANSWER_KINDS as readonly string[]).includes(fault.kind);
}

export function oddAnswer(kind: OddAnswerKind, answer: Json, ctx: OddAnswerContext): OddAnswer {
  return ODD_ANSWERS[kind](answer, ctx);
}
