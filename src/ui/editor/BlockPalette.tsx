/** The block catalogue as a searchable list, grouped by family; a click adds the block as a new step. */
import { useId, useMemo, useState } from "react";
import { searchBlocks, type BlockInfo, type Catalogue } from "./catalogue.js";

export function BlockPalette({ catalogue, onAdd }: { catalogue: Catalogue; onAdd: (block: BlockInfo) => void }) {
  const [query, setQuery] = useState("");
  const families = useMemo(() => searchBlocks(catalogue, query), [catalogue, query]);
  const searchId = useId();
  return (
    <section className="palette" aria-label="Block catalogue">
      <label htmlFor={searchId} className="panel-title">
        Blocks
      </label>
      <input
        id={searchId}
        type="search"
        placeholder="Search blocks…"
        value={query}
        onChange={(event) => setQuery(event.target.value)}
        aria-label="Search blocks"
      />
      <div className="palette-list">
        {families.length === 0 && <p className="muted">{catalogue.blocks.length === 0 ? "Loading the catalogue…" : "No block matches."}</p>}
        {families.map(({ family, blocks }) => (
          <div key={family} className="palette-family">
            <h3>{family.replace(/_/g, " ")}</h3>
            <ul>
              {blocks.map((block) => (
                <li key={block.type}>
                  <button
                    type="button"
                    className="palette-block"
                    onClick={() => onAdd(block)}
                    aria-label={`Add ${block.title}`}
                    title={`${block.type}\n${block.description}`}
                  >
                    <span className="palette-block-title">{block.title}</span>
                    <span className="palette-block-type">{block.type}</span>
                  </button>
                </li>
              ))}
            </ul>
          </div>
        ))}
      </div>
    </section>
  );
}
