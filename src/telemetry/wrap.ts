/** What the wrappers report back to the call that produced the result. @internal */
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
function isTerminalMethod(prop: PropertyKey): boolean {
  return typeof prop === 'string' && (prop === 'done' || prop.startsWith('final'));
}

/** Stream methods that iterate the stream themselves and touch no private state. */
const REITERATING = new Set<PropertyKey>(['toReadableStream']);

/** True when an SDK stream reports that it was aborted by its caller. */
function wasAborted(target: object): boolean {
  try {
    const t = target as { controller?: { signal?: { aborted?: unknown } }; aborted?: unknown };
    return t.controller?.signal?.aborted === true || t.aborted === true;
  } catch {
    return false;
  }
}

/**
 * Returns `target` seen through a Proxy whose async iterator reports to `hooks`. Everything else
 * stays usable: properties read through, methods run against the original object (so private
 * fields work), a method returning the object itself returns the proxy (chaining `on(…)`), and a
 * terminal method returning a promise (`finalMessage()`, `finalChatCompletion()`, `done()`)
 * completes the call when it settles. Other promise-returning methods (`withResponse()`,
 * `emitted(…)`) do not: they resolve before the stream ends.
 */
export function wrapStream<T extends object>(target: T, hooks: StreamHooks): T {
  const methods = new Map<PropertyKey, unknown>();
  const iterate = (): AsyncIterator<unknown> => {
    const it = (target as AsyncIterable<unknown>)[Symbol.asyncIterator]();
    const wrapped: AsyncIterator<unknown> & AsyncIterable<unknown> = {
      next(...args: [] | [unknown]) {
        let step: Promise<IteratorResult<unknown>>;
        try {
          step = Promise.resolve(it.next(...args));
        } catch (err) {
          hooks.fail(err);
          return Promise.reject(err as Error);
        }
        return step.then(
          (r) => {
            // An aborted stream (OpenAI's `controller.abort()`, Anthropic's `abort()`) ends with
            // done: true but was not read to its end: it must not count as a completed call.
            if (r.done) (wasAborted(target) ? hooks.abandon() : hooks.complete());
            else hooks.chunk(r.value);
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
        return typeof it.throw === 'function' ? Promise.resolve(it.throw(err)) : Promise.reject(err as Error);
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    };
    return wrapped;
  };
  const proxy: T = new Proxy(target, {
    get(t, prop) {
      if (prop === Symbol.asyncIterator) return iterate;
      const value: unknown = Reflect.get(t, prop, t);
      if (typeof value !== 'function' || prop === 'constructor') return value;
      let bound = methods.get(prop);
      if (bound === undefined) {
        const fn = value as (...args: unknown[]) => unknown;
        const terminal = isTerminalMethod(prop);
        bound = function (this: unknown, ...args: unknown[]): unknown {
          // Methods that re-iterate the stream themselves (e.g. OpenAI's toReadableStream) run
          // against the proxy, so their iteration goes through the wrapper and ends the span.
          const out = fn.apply(REITERATING.has(prop) ? proxy : t, args);
          if (out === t) return proxy;
          if (terminal && isThenable(out)) {
            out.then(
              (v) => hooks.complete(v),
              (err: unknown) => hooks.fail(err),
            );
          }
          return out;
        };
        methods.set(prop, bound);
      }
      return bound;
    },
  });
  return proxy;
}

/**
 * Returns a promise-like that settles like `mapped` but keeps the extra methods of `original`
 * (e.g. the OpenAI SDK's `APIPromise.withResponse()`). A native promise needs no proxy.
 */
export function faithfulPromise<T>(original: PromiseLike<unknown>, mapped: Promise<T>): PromiseLike<T> {
  if (Object.getPrototypeOf(original) === Promise.prototype) return mapped;
  // A Proxy may not report another value for a frozen (non-configurable, read-only) `then`.
  const thenDescriptor = Object.getOwnPropertyDescriptor(original, 'then');
  if (Object.isFrozen(original) || (thenDescriptor && !thenDescriptor.configurable && !thenDescriptor.writable)) return mapped;
  const redirected = new Map<PropertyKey, unknown>([
    ['then', mapped.then.bind(mapped)],
    ['catch', mapped.catch.bind(mapped)],
    ['finally', mapped.finally.bind(mapped)],
  ]);
  return new Proxy(original as object, {
    get(t, prop) {
      if (redirected.has(prop)) return redirected.get(prop);
      const value: unknown = Reflect.get(t, prop, t);
      return typeof value === 'function' && prop !== 'constructor' ? (value as (...a: unknown[]) => unknown).bind(t) : value;
    },
  }) as PromiseLike<T>;
}
