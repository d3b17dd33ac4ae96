/** Asks for the server's API key (once per tab session; see `storage.ts`). */
import { useId, useState } from "react";

export function ApiKeyDialog({ refused, onSubmit }: { refused: boolean; onSubmit: (key: string) => void }) {
  const [key, setKey] = useState("");
  const id = useId();
  return (
    <div className="dialog-backdrop">
      <form
        className="dialog"
        role="dialog"
        aria-modal="true"
        aria-labelledby={`${id}-title`}
        onSubmit={(event) => {
          event.preventDefault();
          if (key.trim()) onSubmit(key.trim());
        }}
      >
        <h2 id={`${id}-title`}>API key required</h2>
        <p>
          This server asks for an API key (its <code>--api-key</code> or <code>SIGHTLINE_API_KEY</code>). It is kept for this tab only.
        </p>
        {refused && (
          <p className="error" role="alert">
            The server refused that key.
          </p>
        )}
        <label htmlFor={id}>API key</label>
        <input id={id} type="password" autoComplete="current-password" autoFocus value={key} onChange={(event) => setKey(event.target.value)} />
        <div className="button-row">
          <button type="submit" className="primary">
            Continue
          </button>
        </div>
      </form>
    </div>
  );
}
