import { Flatten856 } from './flatten-856.ts';
import { Flatten940 } from './flatten-940.ts';
import { FlattenGeneric } from './flatten-generic.ts';
import type { FlattenerFactory } from './set-flattener.ts';
import { SegmentTokenizer } from './tokenize-segments.ts';
import { EnvelopeValidator } from './validate-envelope.ts';
import type { X12Event } from './x12-events.ts';
import { X12OptionsSchema, type X12Options, type X12ResolvedOptions } from './x12-options.ts';

export type { X12Event, X12Ack, X12SegmentAck } from './x12-events.ts';
export { X12OptionsSchema, type X12Options } from './x12-options.ts';

function flattenerFor(options: X12ResolvedOptions): (setId: string) => FlattenerFactory {
  const generic: FlattenerFactory = (env, sink, st) => new FlattenGeneric(env, sink, st, options.maxGenericSegments);
  if (options.mode === 'generic') return () => generic;
  const bySet: Record<string, FlattenerFactory> = {
    '856': (env, sink, st) => new Flatten856(env, sink, st, options.maxHlDepth),
    '940': (env, sink, st) => new Flatten940(env, sink, st, options.max940HeldLines),
  };
  return (setId) => bySet[setId] ?? generic;
}

/**
 * Stream-free core: feed bytes with `push`, then call `end`; each returns the events completed so far.
 * Never throws for bad input: problems become `rejected` events (a file that is not X12 at all gives one
 * `rejected` at level `file`), and after a fatal one the rest of the input is ignored.
 */
export class X12Reader {
  private readonly tokenizer: SegmentTokenizer;
  private readonly envelope: EnvelopeValidator;
  private out: X12Event[] = [];
  private stopped = false;

  constructor(options: X12Options, file: string) {
    const resolved = X12OptionsSchema.parse(options);
    this.tokenizer = new SegmentTokenizer({ file, maxSegmentLength: resolved.maxSegmentLength });
    this.envelope = new EnvelopeValidator(
      { file, release: resolved.release, transactionSets: resolved.transactionSets, flattenerFor: flattenerFor(resolved) },
      (event) => this.out.push(event),
    );
  }

  push(bytes: Uint8Array): X12Event[] {
    if (!this.stopped) this.run(() => this.tokenizer.push(bytes), false);
    return this.take();
  }

  end(): X12Event[] {
    if (!this.stopped) this.run(() => this.tokenizer.end(), true);
    this.stopped = true;
    return this.take();
  }

  private run(step: () => ReturnType<SegmentTokenizer['push']>, final: boolean): void {
    const segments = step();
    for (let i = 0; i < segments.length; i++) this.envelope.segment(segments[i]!);
    const failure = this.tokenizer.failure;
    if (failure) {
      this.envelope.fatal(failure);
      this.stopped = true;
    } else if (final) {
      this.envelope.end();
    }
  }

  private take(): X12Event[] {
    const out = this.out;
    this.out = [];
    return out;
  }
}

/**
 * X12 bytes → events: records (856 per item, 940 per line, others one per set), then one accepted/rejected
 * per transaction set, group and interchange. `input` is an async iterable of chunks (a file stream) or a
 * whole buffer.
 */
export async function* readX12(
  input: AsyncIterable<Uint8Array> | Uint8Array,
  options: X12Options,
  file: string,
): AsyncIterable<X12Event> {
  const reader = new X12Reader(options, file);
  if (input instanceof Uint8Array) {
    yield* reader.push(input);
  } else {
    for await (const chunk of input) {
      const events = reader.push(chunk);
      for (let i = 0; i < events.length; i++) yield events[i]!;
    }
  }
  yield* reader.end();
}

/** Whole-buffer convenience (tests, previews): all events at once. */
export function readX12Buffer(input: Uint8Array, options: X12Options, file: string): X12Event[] {
  const reader = new X12Reader(options, file);
  return [...reader.push(input), ...reader.end()];
}
