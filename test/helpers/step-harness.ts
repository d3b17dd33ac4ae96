/**
 * One block run like the engine runs it for one step and one stream, called directly with a
 * hand-built step context: the harness holds the state between calls as the engine would (plain
 * JSON), and the cache blocks' namespaces in `namespaces`.
 */
import { DEFAULT_STREAM, Services, type Block, type StepContext } from "../../src/block-api/index.js";

export class StepHarness {
  state: unknown;
  /** Wall clock (ms) the block sees through `ctx.now()`. */
  clock = 0;
  frameNumber: number | null = null;

  constructor(
    readonly block: Block,
    readonly step = "step",
    readonly stream = DEFAULT_STREAM,
    /** The engine-wide namespaces; share one map between harnesses of one "engine". */
    readonly namespaces = new Map<string, Record<string, unknown>>(),
  ) {
    this.state = block.state ? JSON.parse(JSON.stringify(block.state.initial())) : undefined;
  }

  /**
   * `properties` as written in the definition (selectors as `$…` strings, defaults omitted) and
   * `resolved` what the engine substitutes for the selectors.
   */
  run(properties: Record<string, unknown>, resolved: Record<string, unknown> = {}): unknown {
    const inputs = { ...this.block.manifest.properties.parse(properties), ...resolved };
    const ctx: StepContext<unknown> = {
      step: this.step,
      blockType: this.block.manifest.type,
      stream: this.stream,
      frameNumber: this.frameNumber,
      index: null,
      state: this.state,
      shared: { namespace: (name) => this.namespaces.get(name) ?? this.namespaces.set(name, {}).get(name)! },
      services: new Services(),
      signal: new AbortController().signal,
      executionId: "test",
      now: () => this.clock,
    };
    const result = this.block.run!(inputs, ctx);
    this.state = JSON.parse(JSON.stringify(ctx.state ?? null));
    return result;
  }
}
