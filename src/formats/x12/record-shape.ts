/**
 * Cheap construction of the 856 item records, which each carry ~100 ancestor and envelope fields.
 *
 * Building every record as `{ ...inherited, ...own }` made V8 create a dictionary-mode object of ~110 dynamic
 * keys per record (generic slow clone, hash-table growth, ~3 KB of garbage each): most of the reader's time.
 * Instead a record is described as a `Shape` (its ordered, unique key list, interned in a transition tree:
 * adding key k to shape s always gives the same shape) plus a values array. Levels are merged as arrays
 * (`FieldRow`), never as objects, and a record object is made once, at the end, by `Shape.create`: after a
 * shape has been used a few times, by a function generated for it (`{"ISA05": v[0], …}`, a literal with
 * fixed keys, which V8 allocates as one fast object), else by a loop of assignments.
 *
 * Equivalence: same keys, values and key order as the spread/Object.assign it replaces (a key already in the
 * shape is overwritten in place, a new one appended; property order rules then apply to the object alike).
 * Bounds: the tree is capped (`MAX_NODES`, `MAX_COMPILED`); once full, new records are still built correctly,
 * only without memoization (slower), and the next transaction set starts a fresh tree.
 */

const MAX_NODES = 50_000;
const MAX_KEY_SLOTS = 2_000_000;
const MAX_COMPILED = 256;
/** Uses of a shape before a builder is generated for it (one-off shapes are built by the loop). */
const COMPILE_AFTER = 4;
/** Value lists remembered per shape by `Shape.shared`. */
const MAX_SHARED = 8;

type Builder = (values: readonly unknown[]) => Record<string, unknown>;

let codegen = true;

class ShapeTable {
  nodes = 0;
  keySlots = 0;
  compiled = 0;
  get full(): boolean {
    return this.nodes >= MAX_NODES || this.keySlots >= MAX_KEY_SLOTS;
  }
}

let current: ShapeTable | undefined;
let currentRoot: Shape | undefined;

export class Shape {
  /** key → the shape with key appended, or the position of key when this shape already has it. */
  private steps: Map<string, Shape | number> | undefined;
  private keyList: string[] | undefined;
  private builder: Builder | undefined;
  private uses = 0;
  /** Records made by `shared`, at most MAX_SHARED. */
  private sharedRecords: Array<{ values: readonly unknown[]; record: Record<string, unknown> }> | undefined;

  private constructor(
    private readonly table: ShapeTable,
    private readonly parent: Shape | undefined,
    private readonly key: string,
    /** Number of keys. */
    readonly size: number,
  ) {
    table.nodes++;
  }

  /** The empty shape to start a transaction set's records from (a fresh tree when the current one is full). */
  static root(): Shape {
    if (current === undefined || currentRoot === undefined || current.full) {
      current = new ShapeTable();
      currentRoot = new Shape(current, undefined, '', 0);
    }
    return currentRoot;
  }

  /** Adding `key`: the new shape (key appended at position `size`), or the position of `key` already here. */
  step(key: string): Shape | number {
    const known = this.steps?.get(key);
    if (known !== undefined) return known;
    let found = -1;
    for (let s: Shape | undefined = this; s !== undefined && s.size > 0; s = s.parent) {
      if (s.key === key) {
        found = s.size - 1;
        break;
      }
    }
    const next = found >= 0 ? found : new Shape(this.table, this, key, this.size + 1);
    if (!this.table.full) (this.steps ??= new Map()).set(key, next);
    return next;
  }

  /** The record object: keys of this shape, `values[i]` for the i-th key. */
  create<T>(values: readonly T[]): Record<string, T> {
    if (this.builder !== undefined) return this.builder(values) as Record<string, T>;
    const keys = this.keys();
    if (++this.uses === COMPILE_AFTER) this.compile(keys);
    const fields: Record<string, T> = {};
    for (let i = 0; i < keys.length; i++) fields[keys[i]!] = values[i]!;
    return fields;
  }

  /**
   * The same as `create`, but one object for equal values, reused (up to MAX_SHARED value lists per shape): for
   * what thousands of records hold alike, such as the element offsets of items of one structure.
   */
  shared<T>(values: readonly T[]): Record<string, T> {
    const known = this.sharedRecords?.find((s) => s.values.every((v, i) => v === values[i]));
    if (known !== undefined) return known.record as Record<string, T>;
    const record = this.create(values);
    if (!this.table.full && (this.sharedRecords ??= []).length < MAX_SHARED) this.sharedRecords.push({ values: values.slice(), record });
    return record;
  }

  private keys(): string[] {
    if (this.keyList !== undefined) return this.keyList;
    const keys = new Array<string>(this.size);
    for (let s: Shape | undefined = this; s !== undefined && s.size > 0; s = s.parent) keys[s.size - 1] = s.key;
    if (!this.table.full) {
      this.keyList = keys;
      this.table.keySlots += keys.length;
    }
    return keys;
  }

  private compile(keys: readonly string[]): void {
    if (!codegen || this.table.compiled >= MAX_COMPILED || this.table.full) return;
    // `"__proto__": v` in a literal would set the prototype instead of a field: leave such a shape to the loop.
    if (keys.includes('__proto__')) return;
    // Keys come from the file: they enter the source only as JSON string literals (JSON.stringify escapes
    // quotes, backslashes and control characters; JSON text is valid JavaScript), values only as `v[i]`.
    const body = `return {${keys.map((k, i) => `${JSON.stringify(k)}:v[${i}]`).join(',')}};`;
    try {
      this.builder = new Function('v', body) as Builder;
      this.table.compiled++;
    } catch {
      // Code generation disabled (--disallow-code-generation-from-strings): the loop does the same.
      codegen = false;
    }
  }
}

/** Fields as a shape plus values: merged with arrays, made an object once by `toRecord`. */
export class FieldRow<T = string> {
  constructor(
    public shape: Shape,
    readonly values: T[],
  ) {}

  static empty<T = string>(): FieldRow<T> {
    return new FieldRow<T>(Shape.root(), []);
  }

  copy(): FieldRow<T> {
    return new FieldRow(this.shape, this.values.slice());
  }

  /** Like `Object.assign(row, { [key]: value })`. */
  set(key: string, value: T): void {
    const next = this.shape.step(key);
    if (typeof next === 'number') {
      this.values[next] = value;
    } else {
      this.values.push(value);
      this.shape = next;
    }
  }

  /** Like `Object.assign(row, fields)`. */
  assign(fields: Readonly<Record<string, T>>): this {
    for (const key in fields) this.set(key, fields[key]!);
    return this;
  }

  toRecord(): Record<string, T> {
    return this.shape.create(this.values);
  }

  /** `toRecord`, reusing the object made for equal values (see `Shape.shared`). */
  toSharedRecord(): Record<string, T> {
    return this.shape.shared(this.values);
  }
}
