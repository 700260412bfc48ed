import { useEffect, useRef, useState } from 'preact/hooks';
import { asText, sameJson } from '../placement-draft';

interface Props {
  id: string;
  /** The draft's value at this field. */
  value: unknown;
  format: (value: unknown) => string;
  /** Text → the draft's value (`undefined` removes the field). */
  parse: (text: string) => unknown;
  onValue: (value: unknown) => void;
  type?: string;
  inputMode?: 'text' | 'decimal' | 'numeric';
  placeholder?: string;
  invalid?: boolean;
  describedBy?: string;
  size?: number;
  multiline?: boolean;
  rows?: number;
}

/**
 * An input bound to one value of the draft that keeps what is being typed: "0." or "a, b," stay on screen
 * while the draft holds 0 or ["a", "b"]. The text is re-read from the draft only when the draft changes from
 * elsewhere (the raw-JSON tab, a revision loaded).
 */
export function BoundInput({
  id,
  value,
  format,
  parse,
  onValue,
  type = 'text',
  inputMode,
  placeholder,
  invalid,
  describedBy,
  size,
  multiline,
  rows,
}: Props) {
  const [text, setText] = useState(() => format(value));
  const emitted = useRef<unknown>(value);
  useEffect(() => {
    if (!sameJson(value, emitted.current)) {
      emitted.current = value;
      setText(format(value));
    }
  }, [value]);
  const onInput = (t: string) => {
    setText(t);
    const next = parse(t);
    emitted.current = next;
    onValue(next);
  };
  const common = {
    id,
    value: text,
    placeholder,
    'aria-invalid': invalid ? ('true' as const) : undefined,
    'aria-describedby': describedBy,
  };
  if (multiline)
    return (
      <textarea
        {...common}
        rows={rows ?? 4}
        spellcheck={false}
        onInput={(e) => onInput(e.currentTarget.value)}
      />
    );
  return (
    <input
      {...common}
      type={type}
      inputMode={inputMode}
      size={size}
      onInput={(e) => onInput(e.currentTarget.value)}
    />
  );
}

/** Numbers typed as text: a number when it reads as one, else the text itself (the API names it). */
export const numberField = {
  format: asText,
  parse: (t: string): unknown => (t.trim() === '' ? undefined : Number.isFinite(Number(t)) ? Number(t) : t),
};

export const textField = {
  format: asText,
  parse: (t: string): unknown => (t === '' ? undefined : t),
};

/** Comma-separated ids → a list. */
export const listField = {
  format: (v: unknown) => (Array.isArray(v) ? v.map(asText).join(', ') : asText(v)),
  parse: (t: string): unknown => {
    const parts = t
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    return parts.length === 0 ? undefined : parts;
  },
};

const pad = (n: number) => String(n).padStart(2, '0');

/** ISO-8601 instants shown in the browser's time zone (a `datetime-local` input) and sent back as UTC. */
export const dateTimeField = {
  format: (v: unknown) => {
    if (typeof v !== 'string' || Number.isNaN(Date.parse(v))) return '';
    const d = new Date(v);
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
  },
  parse: (t: string): unknown =>
    t === '' ? undefined : Number.isNaN(Date.parse(t)) ? t : new Date(t).toISOString(),
};
