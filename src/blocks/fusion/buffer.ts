/**
 * Buffer (`roboflow_core/buffer@v1`, alias `Buffer`, docs/reference/blocks.md#buffer): the last
 * `length` values, newest first, optionally padded with nulls. State is the stored list, per
 * stream.
 *
 * Unlike upstream, which returns its own stored list (so one frame's output changes when the
 * next frame arrives), every frame gets a fresh list. A `length` ≤ 0 keeps nothing, as upstream.
 */
import { z } from "zod";
import { defineBlock, selector } from "../../block-api/index.js";
import { bufferOutput, pushNewestFirst } from "../../maths/buffer.js";
import { STATEFUL_STREAM_RESTRICTION, STILL_IMAGE_RESTRICTION } from "../restrictions.js";
import { boundedList } from "../state-schemas.js";

const bufferState = z.strictObject({
  /** Newest first, unpadded. Holds whatever the step receives (images included). */
  items: z.array(z.unknown()),
});

export const bufferBlock = defineBlock({
  manifest: {
    type: "roboflow_core/buffer@v1",
    aliases: ["Buffer"],
    name: "Buffer",
    family: "fusion",
    description: "Returns an array of the last `length` values passed to it, the newest first.",
    properties: z.object({
      data: selector(["*", "list_of_values", "image"]),
      length: z.number().int(),
      pad: z.boolean().default(false),
    }),
    outputs: [{ name: "output", kinds: ["list_of_values"] }],
    restrictions: [STATEFUL_STREAM_RESTRICTION, STILL_IMAGE_RESTRICTION],
  },
  state: {
    schema: bufferState,
    bounds: ({ length }) => z.object({ items: boundedList(z.unknown(), Math.max(0, length ?? Infinity), "values (length)") }),
    initial: () => ({ items: [] }),
  },
  run(inputs, ctx) {
    const items = pushNewestFirst(ctx.state.items, inputs.data, inputs.length);
    ctx.state = { items };
    return { output: bufferOutput(items, inputs.length, inputs.pad) };
  },
});
