// Ready-made sequential models for the linearizability checker (linearizability.ts): one register
// holding a string (read, write, compare-and-set), and independent registers by key, partitioned so
// that each key's operations are checked on their own.

import { LinearizabilityError, type Model, type Operation, type StepResult, formatValue } from './linearizability.js';

export type RegisterInput =
  | { readonly kind: 'read' }
  | { readonly kind: 'write'; readonly value: string }
  | { readonly kind: 'cas'; readonly from: string | undefined; readonly to: string };

/** `{value}` answers a read, `{ok: true}` a write (one known to have failed belongs in no history), `{ok}` a cas. */
export type RegisterOutput = { readonly value: string | undefined } | { readonly ok: boolean };

/** The register's value; undefined until the first write. */
export type RegisterState = string | undefined;

function stepRegister(state: RegisterState, input: RegisterInput, output: RegisterOutput | undefined): StepResult<RegisterState> {
  const malformed = (): LinearizabilityError =>
    new LinearizabilityError('MALFORMED_HISTORY', `output ${formatValue(output)} does not answer ${formatValue(input)}`);
  switch (input.kind) {
    case 'read':
      if (output === undefined) return { ok: true, state };
      if (!('value' in output)) throw malformed();
      return { ok: output.value === state, state };
    case 'write':
      if (output !== undefined && !('ok' in output && output.ok)) throw malformed();
      return { ok: true, state: input.value };
    case 'cas': {
      const matches = state === input.from;
      // A pending cas, if it took effect, did whatever the state then called for.
      if (output === undefined) return { ok: true, state: matches ? input.to : state };
      if (!('ok' in output)) throw malformed();
      return output.ok ? { ok: matches, state: input.to } : { ok: !matches, state };
    }
  }
}

function registerReadOnly(input: RegisterInput, output: RegisterOutput): boolean {
  return input.kind === 'read' || (input.kind === 'cas' && 'ok' in output && !output.ok);
}

/** One register holding a string, with read, write and compare-and-set. */
export const registerModel: Model<RegisterState, RegisterInput, RegisterOutput> = {
  init: () => undefined,
  step: stepRegister,
  key: (state) => (state === undefined ? '' : `=${state}`),
  readOnly: registerReadOnly,
};

/** A register operation on one key. */
export type KvInput = RegisterInput & { readonly key: string };

export type KvState = ReadonlyMap<string, string>;

/** Independent registers by key; `partition` checks each key's operations on their own. */
export const kvModel: Model<KvState, KvInput, RegisterOutput> = {
  init: () => new Map(),
  step: (state, input, output) => {
    const before = state.get(input.key);
    const { ok, state: after } = stepRegister(before, input, output);
    // A register only ever goes from a value to a value, so `after` is undefined only if unchanged.
    if (!ok || after === before || after === undefined) return { ok, state };
    return { ok, state: new Map(state).set(input.key, after) };
  },
  key: (state) => JSON.stringify([...state].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
  readOnly: registerReadOnly,
  partition: (history) => {
    const byKey = new Map<string, Operation<KvInput, RegisterOutput>[]>();
    for (const op of history) {
      const part = byKey.get(op.input.key);
      if (part === undefined) byKey.set(op.input.key, [op]);
      else part.push(op);
    }
    return [...byKey.values()];
  },
};
