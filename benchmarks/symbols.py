"""Benchmark symbol extraction on generated ~2,000-line files, one per language.

Run with ``python benchmarks/symbols.py``.  For each language it reports:

* cold: parse and extract from scratch (``extract_symbols``, no cache), median
  and p99 over the repetitions;
* cached: ``symbols_for_file`` on content already in the cache (hash the
  content, look up the LRU), median.

A table is printed, then one JSON line with the same figures keyed by language.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable

from coordination.parsers import clear_symbol_cache, extract_symbols, symbols_for_file

TARGET_LINES = 2_000


def _fill(block: Callable[[int], str], header: str = "") -> str:
    parts = [header]
    lines = header.count("\n")
    i = 0
    while lines < TARGET_LINES:
        chunk = block(i)
        parts.append(chunk)
        lines += chunk.count("\n")
        i += 1
    return "".join(parts)


def typescript_source() -> str:
    header = 'import { EventEmitter } from "node:events";\nimport type { Request, Response } from "./http";\n\n'

    def block(i: int) -> str:
        return f"""
export interface Options{i} {{
  timeoutMs: number;
  retries?: number;
  label: string;
}}

export type Handler{i}<T> = (req: Request, input: T) => Promise<Response>;

export enum Mode{i} {{
  Off,
  On,
  Auto,
}}

export const DEFAULT_TIMEOUT_{i} = 1_000 * {i + 1};
export const isReady{i} = (opts: Options{i}): boolean => opts.timeoutMs > 0;

export function build{i}(opts: Options{i}): Service{i};
export function build{i}(opts: Partial<Options{i}>): Service{i};
export function build{i}(opts: Partial<Options{i}>): Service{i} {{
  return new Service{i}({{ timeoutMs: 10, label: "s{i}", ...opts }});
}}

export class Service{i}<T = unknown> extends EventEmitter {{
  static instances = 0;
  #cache = new Map<string, T>();
  private failures = 0;
  onError = (err: Error) => this.emit("error", err);

  constructor(private readonly opts: Options{i}) {{
    super();
    Service{i}.instances += 1;
  }}

  get label(): string {{
    return this.opts.label;
  }}

  async handle(req: Request, input: T): Promise<Response> {{
    const key = `${{req.url}}:${{String(input)}}`;
    if (this.#cache.has(key)) {{
      return {{ status: 200, body: String(this.#cache.get(key)) }} as Response;
    }}
    this.#cache.set(key, input);
    return this.respond(input);
  }}

  private respond(input: T): Response {{
    return {{ status: 200, body: JSON.stringify(input) }} as Response;
  }}

  #evict(key: string): boolean {{
    return this.#cache.delete(key);
  }}

  static create(label: string): Service{i} {{
    return new Service{i}({{ timeoutMs: 100, label }});
  }}
}}

export namespace Util{i} {{
  export const VERSION = "{i}.0";
  export function slug(s: string): string {{
    return s.toLowerCase().replace(/[^a-z0-9]+/g, "-");
  }}
}}
"""

    return _fill(block, header)


def tsx_source() -> str:
    header = 'import React, { Component, useState } from "react";\n\n'

    def block(i: int) -> str:
        return f"""
type Card{i}Props = {{ title: string; count: number; onSelect?: (id: number) => void }};

export function Card{i}({{ title, count, onSelect }}: Card{i}Props) {{
  const [open, setOpen] = useState(false);
  return (
    <div className="card" onClick={{() => onSelect?.({i})}}>
      <h2>{{title}}</h2>
      {{open && <p>{{count}} items</p>}}
      <button onClick={{() => setOpen(!open)}}>toggle</button>
    </div>
  );
}}

export const List{i} = ({{ items }}: {{ items: string[] }}) => (
  <ul>
    {{items.map((item) => (
      <li key={{item}}>{{item}}</li>
    ))}}
  </ul>
);

export class Panel{i} extends Component<{{ label: string }}, {{ ticks: number }}> {{
  state = {{ ticks: 0 }};
  private timer?: number;

  componentDidMount(): void {{
    this.timer = window.setInterval(() => this.tick(), 1000);
  }}

  componentWillUnmount(): void {{
    window.clearInterval(this.timer);
  }}

  tick = () => this.setState(({{ ticks }}) => ({{ ticks: ticks + 1 }}));

  render() {{
    return (
      <section>
        <Card{i} title={{this.props.label}} count={{this.state.ticks}} />
      </section>
    );
  }}
}}
"""

    return _fill(block, header)


def javascript_source() -> str:
    header = '"use strict";\n\nconst EventEmitter = require("node:events");\n\n'

    def block(i: int) -> str:
        return f"""
const LIMIT_{i} = {i * 10 + 5};

function normalise{i}(value) {{
  return String(value).trim().toLowerCase();
}}

async function fetchAll{i}(urls) {{
  const results = [];
  for (const url of urls) {{
    results.push(await fetch(url).then((r) => r.json()));
  }}
  return results;
}}

class Store{i} extends EventEmitter {{
  #items = new Map();
  size = 0;
  onChange = () => this.emit("change", this.size);

  get keys() {{
    return [...this.#items.keys()];
  }}

  set(key, value) {{
    this.#items.set(normalise{i}(key), value);
    this.size = this.#items.size;
    this.onChange();
  }}

  get(key) {{
    return this.#items.get(normalise{i}(key));
  }}

  static from(entries) {{
    const store = new Store{i}();
    for (const [k, v] of entries) store.set(k, v);
    return store;
  }}
}}

function Legacy{i}(name) {{
  this.name = name;
}}

Legacy{i}.prototype.describe = function () {{
  return `legacy ${{this.name}}`;
}};

exports.create{i} = (entries) => Store{i}.from(entries || []);
"""

    return _fill(block, header)


def python_source() -> str:
    header = (
        "from __future__ import annotations\n\n"
        "import asyncio\nfrom dataclasses import dataclass, field\n"
        "from typing import overload\n\n"
    )

    def block(i: int) -> str:
        return f'''
LIMIT_{i} = {i * 10 + 5}
TIMEOUT_{i}: float = {i}.5


@dataclass
class Record{i}:
    key: str
    value: int = 0
    tags: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{{self.key}}={{self.value}}"

    @label.setter
    def label(self, text: str) -> None:
        self.key, _, raw = text.partition("=")
        self.value = int(raw or 0)


class Repository{i}:
    """Keeps records in memory."""

    default_limit = LIMIT_{i}

    class Query:
        order = "key"

        class Filter:
            def matches(self, record: Record{i}) -> bool:
                return bool(record.key)

        def run(self, records: list[Record{i}]) -> list[Record{i}]:
            return sorted(records, key=lambda r: getattr(r, self.order))

    def __init__(self) -> None:
        self._records: dict[str, Record{i}] = {{}}

    @overload
    def get(self, key: str) -> Record{i} | None: ...
    @overload
    def get(self, key: str, default: Record{i}) -> Record{i}: ...
    def get(self, key: str, default: Record{i} | None = None) -> Record{i} | None:
        return self._records.get(key, default)

    def put(self, record: Record{i}) -> None:
        self._records[record.key] = record

    @staticmethod
    def validate(record: Record{i}) -> bool:
        return record.value >= 0

    async def refresh(self) -> int:
        await asyncio.sleep(0)
        return len(self._records)


async def sync_{i}(repo: Repository{i}) -> int:
    return await repo.refresh()


def summarise_{i}(repo: Repository{i}) -> str:
    return ", ".join(sorted(repo._records))
'''

    return _fill(block, header)


def go_source() -> str:
    header = 'package bench\n\nimport (\n\t"errors"\n\t"sync"\n)\n'

    def block(i: int) -> str:
        return f"""
const Limit{i} = {i * 10 + 5}

var (
	ErrMissing{i} = errors.New("missing {i}")
	counter{i}    int
)

type (
	Key{i} string

	Entry{i} struct {{
		Key   Key{i}
		Value int
	}}

	Getter{i} interface {{
		Get(k Key{i}) (Entry{i}, error)
		Len() int
	}}
)

type Cache{i}[V any] struct {{
	mu    sync.Mutex
	items map[Key{i}]V
}}

func NewCache{i}[V any]() *Cache{i}[V] {{
	return &Cache{i}[V]{{items: make(map[Key{i}]V)}}
}}

func (c *Cache{i}[V]) Put(k Key{i}, v V) {{
	c.mu.Lock()
	defer c.mu.Unlock()
	c.items[k] = v
	counter{i}++
}}

func (c *Cache{i}[V]) Get(k Key{i}) (V, error) {{
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.items[k]
	if !ok {{
		return v, ErrMissing{i}
	}}
	return v, nil
}}

func (c *Cache{i}[V]) Len() int {{ return len(c.items) }}

func (e Entry{i}) String() string {{ return string(e.Key) }}

func Sum{i}(entries []Entry{i}) int {{
	total := 0
	for _, e := range entries {{
		total += e.Value
	}}
	return total
}}
"""

    return _fill(block, header)


SOURCES: dict[str, tuple[str, Callable[[], str]]] = {
    "typescript": ("bench.ts", typescript_source),
    "tsx": ("bench.tsx", tsx_source),
    "javascript": ("bench.js", javascript_source),
    "python": ("bench.py", python_source),
    "go": ("bench.go", go_source),
}


def _percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def measure(path: str, source: bytes, cold_reps: int, cached_reps: int) -> dict[str, float | int]:
    symbols = extract_symbols(path, source)  # warm-up: loads the grammar, creates the parser
    cold: list[float] = []
    for _ in range(cold_reps):
        start = time.perf_counter()
        extract_symbols(path, source)
        cold.append((time.perf_counter() - start) * 1e3)
    clear_symbol_cache()
    symbols_for_file(path, source)  # fill the cache
    cached: list[float] = []
    for _ in range(cached_reps):
        start = time.perf_counter()
        symbols_for_file(path, source)
        cached.append((time.perf_counter() - start) * 1e6)
    return {
        "lines": source.count(b"\n"),
        "symbols": len(symbols),
        "cold_median_ms": round(statistics.median(cold), 3),
        "cold_p99_ms": round(_percentile(cold, 99), 3),
        "cached_median_us": round(statistics.median(cached), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cold-reps", type=int, default=50)
    parser.add_argument("--cached-reps", type=int, default=2_000)
    args = parser.parse_args()

    results: dict[str, dict[str, float | int]] = {}
    for language, (path, generate) in SOURCES.items():
        results[language] = measure(path, generate().encode(), args.cold_reps, args.cached_reps)

    header = (
        f"{'language':<12}{'lines':>7}{'symbols':>9}{'cold median ms':>16}{'cold p99 ms':>13}{'cached median us':>18}"
    )
    print(header)
    print("-" * len(header))
    for language, row in results.items():
        print(
            f"{language:<12}{row['lines']:>7}{row['symbols']:>9}"
            f"{row['cold_median_ms']:>16.2f}{row['cold_p99_ms']:>13.2f}"
            f"{row['cached_median_us']:>18.1f}"
        )
    print(json.dumps(results, sort_keys=True))


if __name__ == "__main__":
    main()
