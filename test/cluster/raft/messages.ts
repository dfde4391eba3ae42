// Builders for the messages, entries and storages the paper tests feed a single node, so each test
// reads as the exchange it describes: `msg.app(2, 1, 3, { index: 4, logTerm: 2 })`.

import { ProposalDroppedError } from '../../../cluster/raft/errors.js';
import { MemoryLogStorage } from '../../../cluster/raft/storage.js';
import type {
  AppendMessage,
  AppendResponseMessage,
  Entry,
  HardState,
  HeartbeatMessage,
  HeartbeatResponseMessage,
  Message,
  NodeId,
  Snapshot,
  SnapshotMessage,
  TimeoutNowMessage,
  VoteMessage,
  VoteResponseMessage,
} from '../../../cluster/raft/types.js';
import { bytes } from './network.js';

const id = (value: number): NodeId => value as NodeId;

/** Entries with the given terms, from index `start` on; payloads name them ("3@2"). */
export function entries(start: number, ...terms: number[]): Entry[] {
  return terms.map((term, i) => ({ index: start + i, term, type: 'normal', data: bytes(`${start + i}@${term}`) }));
}

/** A storage holding `log` (entries from index 1) and the hard state, with the given voters. */
export function storageWith(voters: readonly number[], log: Entry[] = [], hardState?: Partial<HardState>, learners: readonly number[] = []): MemoryLogStorage {
  const storage = MemoryLogStorage.withVoters(voters, learners);
  storage.append(log);
  if (hardState !== undefined) storage.setHardState({ term: 0, vote: id(0), commit: 0, ...hardState });
  return storage;
}

export const msg = {
  app(from: number, to: number, term: number, fields: { index: number; logTerm: number; entries?: Entry[]; commit?: number }): AppendMessage {
    return { type: 'app', from: id(from), to: id(to), term, index: fields.index, logTerm: fields.logTerm, entries: fields.entries ?? [], commit: fields.commit ?? 0 };
  },
  appResp(from: number, to: number, term: number, index: number, reject?: { hint: number; logTerm: number }): AppendResponseMessage {
    return {
      type: 'appResp',
      from: id(from),
      to: id(to),
      term,
      index,
      reject: reject !== undefined,
      rejectHint: reject?.hint ?? 0,
      logTerm: reject?.logTerm ?? 0,
    };
  },
  vote(from: number, to: number, term: number, last: { index: number; logTerm: number }, transfer = false): VoteMessage {
    return { type: 'vote', from: id(from), to: id(to), term, index: last.index, logTerm: last.logTerm, transfer };
  },
  preVote(from: number, to: number, term: number, last: { index: number; logTerm: number }): VoteMessage {
    return { type: 'preVote', from: id(from), to: id(to), term, index: last.index, logTerm: last.logTerm, transfer: false };
  },
  voteResp(from: number, to: number, term: number, granted: boolean): VoteResponseMessage {
    return { type: 'voteResp', from: id(from), to: id(to), term, reject: !granted };
  },
  preVoteResp(from: number, to: number, term: number, granted: boolean): VoteResponseMessage {
    return { type: 'preVoteResp', from: id(from), to: id(to), term, reject: !granted };
  },
  heartbeat(from: number, to: number, term: number, commit: number, context?: Uint8Array): HeartbeatMessage {
    return { type: 'heartbeat', from: id(from), to: id(to), term, commit, context };
  },
  heartbeatResp(from: number, to: number, term: number, context?: Uint8Array): HeartbeatResponseMessage {
    return { type: 'heartbeatResp', from: id(from), to: id(to), term, context };
  },
  snap(from: number, to: number, term: number, snapshot: Snapshot): SnapshotMessage {
    return { type: 'snap', from: id(from), to: id(to), term, snapshot };
  },
  timeoutNow(from: number, to: number, term: number): TimeoutNowMessage {
    return { type: 'timeoutNow', from: id(from), to: id(to), term };
  },
};

/** A compact rendering of messages for assertions: "app 1→2 t3 i4/2 [5@3] c4". */
export function describe(message: Message): string {
  const head = `${message.type} ${message.from}→${message.to} t${message.term}`;
  switch (message.type) {
    case 'app':
      return `${head} i${message.index}/${message.logTerm} [${message.entries.map((e) => `${e.index}@${e.term}`).join(' ')}] c${message.commit}`;
    case 'appResp':
      return message.reject ? `${head} reject ${message.index} hint ${message.rejectHint}/${message.logTerm}` : `${head} i${message.index}`;
    case 'vote':
    case 'preVote':
      return `${head} last ${message.index}/${message.logTerm}${message.transfer ? ' transfer' : ''}`;
    case 'voteResp':
    case 'preVoteResp':
      return `${head} ${message.reject ? 'reject' : 'grant'}`;
    case 'heartbeat':
      return `${head} c${message.commit}`;
    default:
      return head;
  }
}

/** The reason a call was dropped with ProposalDroppedError, 'accepted' if it was not, rethrowing anything else. */
export function droppedReason(call: () => void): string {
  try {
    call();
    return 'accepted';
  } catch (error) {
    if (error instanceof ProposalDroppedError) return error.reason;
    throw error;
  }
}
