/**
 * @internal A deep copy of a stored value. Message bodies are JSON (they come
 * from a parsed frame), so plain objects and arrays are copied by hand, which
 * is several times cheaper than `structuredClone` for small values; anything
 * else (a Date or Map a hook put in a body) falls back to `structuredClone`.
 */
export function cloneValue<T>(value: T): T {
  if (typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) {
    const copy = new Array(value.length);
    for (let i = 0; i < value.length; i++) copy[i] = cloneValue(value[i]);
    return copy as T;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return structuredClone(value);
  const copy: Record<string, unknown> = {};
  for (const key in value) {
    if (Object.hasOwn(value, key)) copy[key] = cloneValue((value as Record<string, unknown>)[key]);
  }
  return copy as T;
}
