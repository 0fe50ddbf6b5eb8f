"""How many tokens a key's tool list costs a model, estimated without a network download.

Exact counts need the model's own tokenizer; OpenAI's ``tiktoken`` fetches
its BPE files from the network on first use, which the server must not
depend on, and vendors' tokenizers differ anyway. So this is a documented
approximation of a GPT-style BPE tokenizer on tool JSON:

- the text is split the way those tokenizers pre-split it: runs of letters
  (with one leading space), runs of up to three digits, runs of punctuation,
  runs of whitespace;
- a letter run of up to 8 letters is one token, plus one per started 5
  letters beyond (common words are one token, long identifiers several);
- a punctuation run counts one token per 2 characters (``":{"`` is two);
- a digit group or a whitespace run is one token.

It is not exact and was not calibrated against every vendor's tokenizer;
it is meant for the decision a budget supports (~1.4k versus ~19k tokens
for a tool list), not for billing.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any, Final

__all__ = ["METHOD", "estimate_tokens", "tool_budget"]

METHOD: Final = "approximate: GPT-style pre-split, about 5 letters or 2 symbols per token"

_PIECES: Final = re.compile(r" ?[A-Za-z]+| ?\d{1,3}| ?[^\sA-Za-z\d]+|\s+")


def estimate_tokens(text: str) -> int:
    """An estimate of the BPE tokens in ``text`` (see the module docstring)."""
    total = 0
    for piece in _PIECES.findall(text):
        core = piece.strip()
        if not core:
            total += 1
        elif core[0].isalpha():
            total += 1 + max(0, math.ceil((len(core) - 8) / 5))
        elif core[0].isdigit():
            total += 1
        else:
            total += math.ceil(len(core) / 2)
    return total


def tool_budget(tools: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Per-tool and total size of a ``tools/list`` result (tools as the client receives them)."""
    rows = []
    for tool in tools:
        text = json.dumps(tool, separators=(",", ":"), ensure_ascii=False)
        rows.append({"name": tool["name"], "chars": len(text), "tokens": estimate_tokens(text)})
    return {
        "tools": rows,
        "tool_count": len(rows),
        "total_chars": sum(r["chars"] for r in rows),
        "total_tokens": sum(r["tokens"] for r in rows),
        "method": METHOD,
    }
