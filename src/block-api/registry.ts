/**
 * The only way the engine finds blocks: by `type` id or alias. Core blocks and third-party
 * plugins fill it the same way (`registry.use(plugin)`), so adding a block never touches the
 * engine.
 */
import type { Block } from "./block.js";

export type BlockPlugin = (registry: BlockRegistry) => void;

export class BlockRegistry {
  private readonly byType = new Map<string, Block>();
  private readonly parent: BlockRegistry | null;

  constructor(parent: BlockRegistry | null = null) {
    this.parent = parent;
  }

  register(...blocks: Block[]): this {
    for (const block of blocks) {
      const ids = [block.manifest.type, ...(block.manifest.aliases ?? [])];
      for (const id of ids) {
        const existing = this.lookupOwn(id);
        if (existing && existing !== block) {
          throw new Error(`block type "${id}" is already registered by ${existing.manifest.type}`);
        }
      }
      for (const id of ids) this.byType.set(id, block);
    }
    return this;
  }

  use(plugin: BlockPlugin): this {
    plugin(this);
    return this;
  }

  /** A registry that sees this one's blocks plus its own (e.g. a definition's dynamic blocks). */
  child(): BlockRegistry {
    return new BlockRegistry(this);
  }

  get(type: string): Block | undefined {
    return this.byType.get(type) ?? this.parent?.get(type);
  }

  /** Every distinct block, each once, in registration order (parents first). */
  list(): Block[] {
    const seen = new Set<Block>(this.parent?.list() ?? []);
    for (const block of this.byType.values()) seen.add(block);
    return [...seen];
  }

  /** Every accepted `type` value (ids and aliases). */
  types(): string[] {
    return [...new Set([...(this.parent?.types() ?? []), ...this.byType.keys()])];
  }

  private lookupOwn(id: string): Block | undefined {
    return this.byType.get(id);
  }
}
