"""Run an n8n Code node's JavaScript under Node.js with the few n8n globals our workflows use ($json, $binary,
$input, $env, $getWorkflowStaticData, require), so a test can run the workflows' own code on real deliveries."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from typing import Any

HARNESS = r"""
const input = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const staticData = input.static;
const items = input.items;
const $input = { first: () => items[0], all: () => items };
const AsyncFunction = Object.getPrototypeOf(async function () {}).constructor;
const run = new AsyncFunction('require', '$json', '$binary', '$env', '$input', '$getWorkflowStaticData', input.code);
const item = items[0] || { json: {} };
run(require, item.json, item.binary || {}, input.env, $input, () => staticData)
  .then((result) => process.stdout.write(JSON.stringify({ result: result === undefined ? null : result,
                                                          static: staticData })))
  .catch((error) => process.stdout.write(JSON.stringify({ error: String(error && error.message || error),
                                                          static: staticData })));
"""


class CodeNodeError(Exception):
    """The Code node threw (n8n would stop the execution with this message)."""


@dataclass
class CodeRun:
    result: Any
    static: dict[str, Any]


def run_code(code: str, items: list[dict[str, Any]], *, static: dict[str, Any] | None = None,
             env: dict[str, str] | None = None) -> CodeRun:
    """Run `code` on `items` (n8n items: {"json": ..., "binary": ...}); returns what it returned and the workflow
    static data after it. Raises CodeNodeError when the code throws."""
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("Node.js (node) is needed to run the n8n workflows' Code nodes")
    payload = json.dumps({"code": code, "items": items, "static": static or {}, "env": env or {}})
    done = subprocess.run([node, "-e", HARNESS], input=payload, capture_output=True, text=True, timeout=60,
                          check=True)
    answer = json.loads(done.stdout)
    if "error" in answer:
        raise CodeNodeError(answer["error"])
    return CodeRun(answer["result"], answer["static"])
