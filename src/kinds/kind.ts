/**
 * A kind as the describe routes list it. Declared apart from `index.ts`, whose value types reach
 * into images (and Node), so that the browser bundle can take the type (`src/ui/wire.ts`).
 */
export interface Kind {
  name: string;
  description: string;
  docs: string | null;
  serialised_data_type: string | null;
  internal_data_type: string | null;
}
