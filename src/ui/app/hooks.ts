/** Server state the whole app shares: the block catalogue and the definition's validation. */
import { useEffect, useMemo, useState } from "react";
import { ApiError, type ApiClient } from "../api.js";
import { catalogueFrom, EMPTY_CATALOGUE, type Catalogue } from "../editor/catalogue.js";
import type { WorkflowDefinition } from "../editor/definition.js";
import { validationFromError, type Validation } from "../editor/validation.js";

export const VALIDATION_DELAY_MS = 400;

export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) return error.body ? `${error.body.error_type}: ${error.body.message}` : error.message;
  return error instanceof Error ? error.message : String(error);
}

/**
 * The catalogue, including the definition's own dynamic blocks (the server describes them when
 * they are sent along), refetched when those change or the client (its API key) does.
 */
export function useCatalogue(client: ApiClient, definition: WorkflowDefinition): { catalogue: Catalogue; error: string | null } {
  const dynamicBlocks = Array.isArray(definition.dynamic_blocks_definitions) ? definition.dynamic_blocks_definitions : [];
  const dynamicKey = JSON.stringify(dynamicBlocks);
  const [state, setState] = useState<{ catalogue: Catalogue; error: string | null }>({ catalogue: EMPTY_CATALOGUE, error: null });
  useEffect(() => {
    const controller = new AbortController();
    const blocks = JSON.parse(dynamicKey) as unknown[];
    const load = async () => {
      try {
        setState({ catalogue: catalogueFrom(await client.describeBlocks(blocks, controller.signal)), error: null });
      } catch (error) {
        if (controller.signal.aborted) return;
        if (blocks.length === 0) {
          setState((previous) => ({ ...previous, error: errorMessage(error) }));
          return;
        }
        // Broken dynamic blocks must not cost the editor the core catalogue; validation reports them.
        try {
          setState({ catalogue: catalogueFrom(await client.describeBlocks([], controller.signal)), error: null });
        } catch (fallbackError) {
          if (!controller.signal.aborted) setState((previous) => ({ ...previous, error: errorMessage(fallbackError) }));
        }
      }
    };
    void load();
    return () => controller.abort();
  }, [client, dynamicKey]);
  return state;
}

/**
 * `/workflows/validate` on the definition, `VALIDATION_DELAY_MS` after its last change; stale
 * answers are dropped. The previous answer stays shown while the next is `checking`, so messages
 * do not flicker as the user types.
 */
export function useValidation(client: ApiClient, definition: WorkflowDefinition): { validation: Validation; checking: boolean } {
  const [validation, setValidation] = useState<Validation>({ state: "pending" });
  const [checking, setChecking] = useState(true);
  const text = useMemo(() => JSON.stringify(definition), [definition]);
  useEffect(() => {
    const controller = new AbortController();
    setChecking(true);
    const timer = setTimeout(async () => {
      try {
        const error = await client.validate(JSON.parse(text) as unknown, controller.signal);
        setValidation(error ? validationFromError(error) : { state: "valid" });
      } catch (error) {
        if (controller.signal.aborted) return;
        setValidation({ state: "unavailable", message: errorMessage(error) });
      }
      setChecking(false);
    }, VALIDATION_DELAY_MS);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [client, text]);
  return { validation, checking };
}
