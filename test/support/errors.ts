import { expect } from 'vitest';
import { isPromptError, RegistryError } from '../../src/errors.js';

/** The RegistryError `fn` throws (asserting it is one); fails the test when `fn` does not throw. */
export function registryErrorOf(fn: () => unknown): RegistryError {
  try {
    fn();
  } catch (err) {
    expect(isPromptError(err)).toBe(true);
    expect(err).toBeInstanceOf(RegistryError);
    return err as RegistryError;
  }
  throw new Error('expected a RegistryError');
}
