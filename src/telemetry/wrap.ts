/** What the observers report back to the call that produced the result. @internal */
export interface StreamHooks {
  /** A chunk was read. */
  chunk(value: unknown): void;
  /** The stream ended (`done: true`), or a terminal method's promise resolved with `final`. */
  complete(final?: unknown): void;
  /** The stream failed. */
  fail(err: unknown): void;
  /** The consumer stopped early (`break`, `return()`). */
  abandon(): void;
}

/** True for promises and other thenables. */
export function isThenable(x: unknown): x is PromiseLike<unknown> {
  return (typeof x === 'object' || typeof x === 'function') && x !== null && typeof (x as { then?: unknown }).then === 'function';
}

/**
 * True for results to be followed as streams: async iterables other than web `ReadableStream`s
 * (those are usually consumed through `getReader()`, which cannot be followed faithfully; the span
 * of such a call ends when the stream is returned).
 */
export function isStreamResult(x: unknown): x is AsyncIterable<unknown> & object {
  if ((typeof x !== 'object' && typeof x !== 'function') || x === null) return false;
  if (typeof (x as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] !== 'function') return false;
  // NB: looked up only here: globalThis.ReadableStream is a lazy getter in Node.
  const RS = globalThis.ReadableStream as typeof ReadableStream | undefined;
  return typeof RS !== 'function' || !(x instanceof RS);
}

/** `done()` and the `final…()` helpers of the OpenAI and Anthropic stream classes. */
function isTerminalMethod(key: PropertyKey): key is string {
  return typeof key === 'string' && (key === 'done' || key.startsWith('final'));
}

/** True when an SDK stream reports that it was aborted by its caller. */
function wasAborted(target: object): boolean {
  try {
    const t = target as { controller?: { signal?: { aborted?: unknown } }; aborted?: unknown };
    return t.controller?.signal?.aborted === true || t.aborted === true;
  } catch {
    return false;
  }
}

/** Longest prototype chain walked for terminal methods (bounds work on hostile objects). */
const MAX_PROTO_DEPTH = 32;

/** Streams some call is observing right now: a second call returning the same one is not observed. */
const observing = new WeakSet<object>();

/** One method shadowed for the duration of a call, and how to put the object back. */
interface Patch {
  readonly key: PropertyKey;
  readonly original: (...args: unknown[]) => unknown;
  /** The own descriptor to restore, or undefined when the method was inherited (delete ours). */
  readonly own: PropertyDescriptor | undefined;
  wrapper?: (...args: unknown[]) => unknown;
}

/**
 * Plans shadowing `key` on `target` with an own data property, or returns undefined when that
 * would change how the object behaves: a non-configurable or accessor own property, an inherited
 * accessor, or a non-extensible object that does not own the method.
 */
function plan(target: object, key: PropertyKey): Patch | undefined {
  const own = Object.getOwnPropertyDescriptor(target, key);
  if (own !== undefined) {
    if (own.configurable !== true || !('value' in own) || typeof own.value !== 'function') return undefined;
    return { key, original: own.value as (...args: unknown[]) => unknown, own };
  }
  if (!Object.isExtensible(target)) return undefined;
  let proto: object | null = Object.getPrototypeOf(target) as object | null;
  for (let depth = 0; proto !== null && depth < MAX_PROTO_DEPTH; depth++) {
    const d = Object.getOwnPropertyDescriptor(proto, key);
    if (d !== undefined) {
      if (!('value' in d) || typeof d.value !== 'function') return undefined;
      return { key, original: d.value as (...args: unknown[]) => unknown, own: undefined };
    }
    proto = Object.getPrototypeOf(proto) as object | null;
  }
  return undefined;
}

/** Names of the terminal methods `target` answers to, own or inherited (Object.prototype excluded). */
function terminalKeys(target: object): string[] {
  const keys = new Set<string>();
  let o: object | null = target;
  for (let depth = 0; o !== null && o !== Object.prototype && depth < MAX_PROTO_DEPTH; depth++) {
    for (const key of Object.getOwnPropertyNames(o)) if (isTerminalMethod(key)) keys.add(key);
    o = Object.getPrototypeOf(o) as object | null;
  }
  return [...keys];
}

/** Wraps one iterator so that its steps report to `hooks`; everything else is forwarded. */
function observedIterator(target: object, it: AsyncIterator<unknown>, hooks: StreamHooks): AsyncIterator<unknown> & AsyncIterable<unknown> {
  return {
    next(...args: [] | [unknown]) {
      let step: Promise<IteratorResult<unknown>>;
      try {
        step = Promise.resolve(it.next(...args));
      } catch (err) {
        hooks.fail(err);
        return Promise.reject(err);
      }
      return step.then(
        (r) => {
          // An aborted stream (OpenAI's `controller.abort()`, Anthropic's `abort()`) ends with
          // done: true but was not read to its end: it must not count as a completed call.
          if (r.done) {
            if (wasAborted(target)) hooks.abandon();
            else hooks.complete();
          } else hooks.chunk(r.value);
          return r;
        },
        (err: unknown) => {
          hooks.fail(err);
          throw err;
        },
      );
    },
    return(value?: unknown) {
      hooks.abandon();
      return typeof it.return === 'function' ? Promise.resolve(it.return(value)) : Promise.resolve({ done: true as const, value });
    },
    throw(err?: unknown) {
      hooks.abandon();
      return typeof it.throw === 'function' ? Promise.resolve(it.throw(err)) : Promise.reject(err);
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

/**
 * Follows `target`'s iteration without replacing the object: for the duration of the call, its
 * `[Symbol.asyncIterator]` (and its terminal methods `done()`, `final…()`) are shadowed by own,
 * non-enumerable methods that call the original ones on the same receiver (so `#private` fields,
 * chaining and identity are untouched) and report to `hooks`. Each iterator it hands out is
 * observed; a terminal method's promise completes the call when it settles.
 *
 * Returns the function that puts the object back exactly as it was (call it when the call ends),
 * or `undefined` when `target` cannot be observed without changing how it behaves: frozen or
 * non-extensible without an own configurable method, an accessor or a non-configurable
 * `[Symbol.asyncIterator]`, an exotic object refusing the definition, or a stream already observed
 * by another call. Then nothing was changed.
 */
export function observeStream(target: object, hooks: StreamHooks): (() => void) | undefined {
  if (observing.has(target)) return undefined;
  const iterate = plan(target, Symbol.asyncIterator);
  if (iterate === undefined) return undefined;
  const patches: Patch[] = [iterate];
  for (const key of terminalKeys(target)) {
    const p = plan(target, key);
    if (p !== undefined) patches.push(p);
  }
  iterate.wrapper = function (this: unknown, ...args: unknown[]): unknown {
    const it = iterate.original.apply(this, args) as AsyncIterator<unknown>;
    return (typeof it === 'object' || typeof it === 'function') && it !== null && typeof it.next === 'function' ? observedIterator(target, it, hooks) : it;
  };
  for (const p of patches.slice(1)) {
    const original = p.original;
    p.wrapper = function (this: unknown, ...args: unknown[]): unknown {
      const out = original.apply(this, args);
      if (isThenable(out)) {
        try {
          out.then(
            (v) => hooks.complete(v),
            (err: unknown) => hooks.fail(err),
          );
        } catch (err) {
          hooks.fail(err);
        }
      }
      return out;
    };
  }
  const installed: Patch[] = [];
  const restore = (): void => {
    observing.delete(target);
    for (const p of installed.splice(0).reverse()) {
      try {
        const now = Object.getOwnPropertyDescriptor(target, p.key);
        // Changed by the user meanwhile (reassigned, frozen): theirs wins.
        if (now === undefined || now.value !== p.wrapper || now.configurable !== true) continue;
        if (p.own !== undefined) Object.defineProperty(target, p.key, p.own);
        else delete (target as Record<PropertyKey, unknown>)[p.key];
      } catch {
        // An exotic object that refuses: our method stays, and forwards to the original.
      }
    }
  };
  try {
    for (const p of patches) {
      const flags = p.own ?? { enumerable: false, writable: true };
      Object.defineProperty(target, p.key, { value: p.wrapper, enumerable: flags.enumerable === true, writable: flags.writable === true, configurable: true });
      installed.push(p);
      // A Proxy may accept the definition and still answer with something else.
      if (Object.getOwnPropertyDescriptor(target, p.key)?.value !== p.wrapper) throw new Error('definition not kept');
    }
    if (Reflect.get(target, Symbol.asyncIterator, target) !== iterate.wrapper) throw new Error('definition not seen');
  } catch {
    restore();
    return undefined;
  }
  observing.add(target);
  return restore;
}
