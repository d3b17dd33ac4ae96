/**
 * Frame timestamps as upstream's Python `datetime`s (docs/reference/workflows.md#frame-timestamps):
 * to the microsecond, and either naive — a wall-clock time without an offset, what
 * `datetime.now()` gives — or aware, with an offset from UTC. They are read from JSON as pydantic
 * reads a `datetime` field and written as `datetime.isoformat()` writes them.
 *
 * `FrameTimestamp` is a `Date`, so code that wants an instant can take it as one; a naive time
 * reads as its wall-clock time taken as UTC (which is how naive times compare with each other).
 */

const MICROSECONDS_PER_MILLISECOND = 1000;
const MICROSECONDS_PER_SECOND = 1_000_000;
/** pydantic takes a Unix time above this many (in absolute value) as milliseconds, else as seconds. */
const SECONDS_OR_MILLISECONDS = 2e10;

export class FrameTimestamp extends Date {
  /** Microseconds past the millisecond that `getTime()` gives, 0–999. */
  readonly extraMicroseconds: number;
  /** An aware time's offset from UTC in seconds (east positive); null for a naive time. */
  readonly utcOffsetSeconds: number | null;

  /**
   * `epochMicroseconds`: for an aware time, the instant in microseconds since 1970-01-01 UTC; for
   * a naive one, its wall-clock time as if it were UTC.
   */
  constructor(epochMicroseconds: number, utcOffsetSeconds: number | null) {
    const whole = Math.round(epochMicroseconds);
    super(Math.floor(whole / MICROSECONDS_PER_MILLISECOND));
    this.extraMicroseconds = whole - this.getTime() * MICROSECONDS_PER_MILLISECOND;
    this.utcOffsetSeconds = utcOffsetSeconds;
  }

  /** `JSON.stringify` writes it as Python's `isoformat()` does. */
  override toJSON(): string {
    return pythonIsoformat(this);
  }
}

/** Python's `datetime.now()`: the local wall-clock time, naive. */
export function localNow(now = Date.now()): FrameTimestamp {
  const offsetMinutes = new Date(now).getTimezoneOffset();
  return new FrameTimestamp((now - offsetMinutes * 60_000) * MICROSECONDS_PER_MILLISECOND, null);
}

/** A timestamp as an aware UTC `FrameTimestamp`: given ones unchanged, a plain `Date` as its instant. */
function fromDate(date: Date): FrameTimestamp {
  return date instanceof FrameTimestamp ? date : new FrameTimestamp(date.getTime() * MICROSECONDS_PER_MILLISECOND, 0);
}

/** A Unix time in seconds, or milliseconds when it is too large to be seconds, as pydantic takes one: aware UTC. */
function fromUnixTime(value: number): FrameTimestamp | null {
  if (!Number.isFinite(value)) return null;
  const microseconds = Math.abs(value) > SECONDS_OR_MILLISECONDS ? value * MICROSECONDS_PER_MILLISECOND : value * MICROSECONDS_PER_SECOND;
  return new FrameTimestamp(microseconds, 0);
}

// YYYY-MM-DD, then optionally [T t _ space]HH:MM[:SS[.fraction]][Z | ±HH[:]MM]
const ISO_DATETIME = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt_ ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?\s*(?:([Zz])|([+-])(\d{2}):?(\d{2})?)?)?$/;
const NUMBER = /^\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*$/;

function fromIsoText(text: string): FrameTimestamp | null {
  const match = ISO_DATETIME.exec(text.trim());
  if (!match) return null;
  const [, year, month, day, hour = "0", minute = "0", second = "0", fraction = "", zulu, sign, offsetHours, offsetMinutes = "0"] = match;
  const fields = [year, month, day, hour, minute, second].map(Number);
  const [y, mo, d, h, mi, s] = fields;
  if (mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo) || h > 23 || mi > 59 || s > 59) return null;
  const wallMilliseconds = Date.UTC(y, mo - 1, d, h, mi, s);
  const microseconds = Number(fraction.padEnd(6, "0").slice(0, 6));
  const wall = wallMilliseconds * MICROSECONDS_PER_MILLISECOND + microseconds;
  if (zulu) return new FrameTimestamp(wall, 0);
  if (!sign) return new FrameTimestamp(wall, null);
  const offset = (sign === "-" ? -1 : 1) * (Number(offsetHours) * 3600 + Number(offsetMinutes) * 60);
  if (Math.abs(offset) >= 24 * 3600) return null;
  return new FrameTimestamp(wall - offset * MICROSECONDS_PER_SECOND, offset);
}

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/**
 * A `datetime` field as pydantic reads it: a `Date`; a Unix time in seconds (milliseconds above
 * 2·10¹⁰), as a number or a numeric string, aware UTC; or ISO 8601 text, naive unless it has an
 * offset. Null when it is none of these.
 */
export function parseFrameTimestamp(value: unknown): FrameTimestamp | null {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : fromDate(value);
  if (typeof value === "number") return fromUnixTime(value);
  if (typeof value !== "string") return null;
  return NUMBER.test(value) ? fromUnixTime(Number(value)) : fromIsoText(value);
}

/** The wall-clock fields of a timestamp, microseconds included, and its offset (null: naive). */
function wallClock(date: Date): { fields: Date; microsecond: number; offset: number | null } {
  if (Number.isNaN(date.getTime())) throw new RangeError("invalid datetime");
  const timestamp = fromDate(date);
  const offset = timestamp.utcOffsetSeconds;
  const fields = new Date(timestamp.getTime() + (offset ?? 0) * 1000);
  return { fields, microsecond: fields.getUTCMilliseconds() * MICROSECONDS_PER_MILLISECOND + timestamp.extraMicroseconds, offset };
}

const pad = (value: number, width = 2): string => String(Math.trunc(value)).padStart(width, "0");

/** `+HH:MM`, with `:SS` when the offset has seconds, as Python prints `utcoffset()`. */
function formatOffset(offset: number): string {
  const sign = offset < 0 ? "-" : "+";
  const magnitude = Math.abs(offset);
  const text = `${sign}${pad(magnitude / 3600)}:${pad((magnitude % 3600) / 60)}`;
  return magnitude % 60 === 0 ? text : `${text}:${pad(magnitude % 60)}`;
}

/**
 * Python's `datetime.isoformat(sep)`: microseconds only when not zero, the offset only for an aware
 * time (a plain `Date` is aware UTC). `str(datetime)` is this with a space.
 */
export function pythonIsoformat(date: Date, separator = "T"): string {
  const { fields, microsecond, offset } = wallClock(date);
  const fraction = microsecond === 0 ? "" : `.${pad(microsecond, 6)}`;
  return (
    `${pad(fields.getUTCFullYear(), 4)}-${pad(fields.getUTCMonth() + 1)}-${pad(fields.getUTCDate())}` +
    `${separator}${pad(fields.getUTCHours())}:${pad(fields.getUTCMinutes())}:${pad(fields.getUTCSeconds())}${fraction}` +
    (offset === null ? "" : formatOffset(offset))
  );
}

/** Python's `repr(datetime)`: trailing zero seconds and microseconds left out, `tzinfo` only when aware. */
export function pythonDatetimeRepr(date: Date): string {
  const { fields, microsecond, offset } = wallClock(date);
  const parts = [fields.getUTCFullYear(), fields.getUTCMonth() + 1, fields.getUTCDate(), fields.getUTCHours(), fields.getUTCMinutes()].map(String);
  const seconds = fields.getUTCSeconds();
  if (seconds !== 0 || microsecond !== 0) parts.push(String(seconds));
  if (microsecond !== 0) parts.push(String(microsecond));
  if (offset !== null) parts.push(offset === 0 ? "tzinfo=datetime.timezone.utc" : `tzinfo=datetime.timezone(datetime.timedelta(seconds=${offset}))`);
  return `datetime.datetime(${parts.join(", ")})`;
}
