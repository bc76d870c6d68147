"""Record shapes: recognize one, and turn a record of that shape into examples.

A parser takes a (field-mapped) record and returns its pieces: ``[("", Parsed)]`` for a plain
record, or one ``(suffix, Parsed | UnitError)`` per expanded piece (an OpenAssistant thread, a
self-instruct instance). It raises :class:`UnitError` when the record as a whole is unusable.
``CONSUMED`` lists the fields a shape turns into messages; every other field is kept in ``meta``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tuneset.ingest import preference, transcript
from tuneset.ingest.messages import (
    any_messages, bad, openai_messages, sharegpt_messages, tools_text, type_name, wrong,
)
from tuneset.ingest.rules import UnitError
from tuneset.records import Parsed, message

Piece = tuple[str, "Parsed | UnitError"]

# Detection order matters: a preference pair also has `messages`, an OpenAI DPO row has `input`.
SHAPES = ("openai_dpo", "preference", "openai", "sharegpt", "oasst", "self_instruct", "alpaca",
          "prompt_completion")


def detect(rec: dict[str, Any]) -> str | None:
    """The shape of one record by its keys, or None."""
    if "preferred_output" in rec and "input" in rec:
        return "openai_dpo"
    if "chosen" in rec and "rejected" in rec or "chosen_messages" in rec and "rejected_messages" in rec:
        return "preference"
    if isinstance(rec.get("messages"), list):
        return "openai"
    if isinstance(rec.get("conversations"), list):
        return "sharegpt"
    if isinstance(rec.get("prompt"), dict) and "message_tree_id" in rec:
        return "oasst"  # an export tree
    if "replies" in rec and "role" in rec and "text" in rec:
        return "oasst"  # a root message with its replies
    if "instruction" in rec and "instances" in rec:
        return "self_instruct"
    if "instruction" in rec and "output" in rec:
        return "alpaca"
    if "prompt" in rec and "completion" in rec:
        return "prompt_completion"
    if is_question_answer(rec):
        return "prompt_completion"  # question/answer pairs (GSM8K and many QA exports)
    return None


def is_question_answer(rec: dict[str, Any]) -> bool:
    """A ``{question, answer}`` record (read as prompt/completion) rather than a chat shape."""
    return "prompt" not in rec and isinstance(rec.get("question"), str) and isinstance(rec.get("answer"), str)


def _str(rec: dict[str, Any], key: str, required: bool = True) -> str | None:
    value = rec.get(key)
    if type(value) is str or value is None and not required:
        return value
    raise wrong(key, value, "a string")


def parse_openai(rec: dict[str, Any]) -> list[Piece]:
    if "chosen" in rec and "rejected" in rec:
        raise bad("chosen/rejected", "make this a preference pair, but the file is read as openai chat; "
                  "put preference pairs in their own file or set `format: preference`")
    extras: dict[str, Any] = {}
    messages = openai_messages(rec.get("messages"), "messages", extras)
    tools = rec.get("tools", rec.get("functions"))
    if "tools" not in rec and isinstance(tools, list):
        tools = [{"type": "function", "function": f} for f in tools]  # legacy `functions`
    meta = {"message_fields": extras} if extras else {}
    return [("", Parsed(kind="sft", messages=messages, tools=tools_text(tools), meta=meta))]


def parse_sharegpt(rec: dict[str, Any]) -> list[Piece]:
    messages = sharegpt_messages(rec.get("conversations"), "conversations")
    system = _str(rec, "system", required=False)
    if system is not None and not (messages and messages[0]["role"] == "system"):
        messages.insert(0, message("system", system))
    return [("", Parsed(kind="sft", messages=messages, tools=tools_text(rec.get("tools"))))]


def _user_turn(instruction: str, inp: Any, where: str) -> str:
    if inp is None or inp == "":
        return instruction
    if type(inp) is not str:
        raise bad(where, f"is {type_name(inp)}, expected a string")
    return f"{instruction}\n\n{inp}"


def parse_alpaca(rec: dict[str, Any]) -> list[Piece]:
    instruction = _str(rec, "instruction")
    output = _str(rec, "output")
    messages = []
    system = _str(rec, "system", required=False)
    if system:
        messages.append(message("system", system))
    history = rec.get("history") or []
    if not isinstance(history, list):
        raise bad("history", f"is {type_name(history)}, expected a list of [user, assistant] pairs")
    for i, pair in enumerate(history):
        if not (isinstance(pair, list) and len(pair) == 2 and all(type(t) is str for t in pair)):
            raise bad(f"history[{i}]", "is not a [user, assistant] pair of strings")
        messages += [message("user", pair[0]), message("assistant", pair[1])]
    messages += [message("user", _user_turn(instruction, rec.get("input"), "input")),  # type: ignore[arg-type]
                 message("assistant", output)]
    return [("", Parsed(kind="sft", messages=messages))]


def parse_prompt_completion(rec: dict[str, Any]) -> list[Piece]:
    if "prompt" not in rec and "completion" not in rec and "question" in rec and "answer" in rec:
        rec = {**rec, "prompt": rec["question"], "completion": rec["answer"]}
    if "prompt" not in rec:
        raise bad("prompt", "is missing")
    if "completion" not in rec:
        raise bad("completion", "is missing")
    messages = any_messages(rec["prompt"], "prompt", "user") + any_messages(rec["completion"], "completion", "assistant")
    return [("", Parsed(kind="sft", messages=messages))]


def parse_self_instruct(rec: dict[str, Any]) -> list[Piece]:
    instruction = _str(rec, "instruction")
    instances = rec.get("instances")
    if not isinstance(instances, list) or not instances:
        raise bad("instances", "is empty" if isinstance(instances, list) else "is missing or not a list")
    pieces: list[Piece] = []
    for k, inst in enumerate(instances):
        try:
            if not isinstance(inst, dict):
                raise bad(f"instances[{k}]", f"is {type_name(inst)}, expected an object with input and output")
            output = inst.get("output")
            if type(output) is not str:
                raise wrong(f"instances[{k}].output", output, "a string")
            user = _user_turn(instruction, inst.get("input"), f"instances[{k}].input")  # type: ignore[arg-type]
            piece: Parsed | UnitError = Parsed(kind="sft", messages=[message("user", user), message("assistant", output)])
        except UnitError as exc:
            piece = exc
        pieces.append((f"/instance-{k}", piece))
    return pieces


OASST_ROLES = {"prompter": "user", "assistant": "assistant"}


def parse_oasst(rec: dict[str, Any]) -> list[Piece]:
    """One example per root-to-leaf path, depth first with replies in file order."""
    root = rec.get("prompt") if "message_tree_id" in rec else rec
    if not isinstance(root, dict):
        raise bad("prompt", "is missing or not a message object")
    tree_id = rec.get("message_tree_id") or root.get("message_id")
    group = str(tree_id) if tree_id is not None else None
    paths: list[list[dict[str, Any]]] = []
    stack: list[tuple[dict[str, Any], list[dict[str, Any]]]] = [(root, [])]
    while stack:
        node, path = stack.pop()
        path = path + [node]
        replies = [r for r in node.get("replies") or () if isinstance(r, dict)]
        if not replies:
            paths.append(path)
        stack.extend((r, path) for r in reversed(replies))
    pieces: list[Piece] = []
    for k, path in enumerate(paths):
        try:
            messages = []
            for depth, node in enumerate(path):
                role = node.get("role")
                if type(role) is not str:
                    raise bad(f"thread message {depth}.role", "is missing or not a string")
                text = node.get("text")
                if type(text) is not str:
                    raise wrong(f"thread message {depth}.text", text, "a string")
                messages.append(message(OASST_ROLES.get(role, role), text))
            meta: dict[str, Any] = {"message_ids": [n.get("message_id") for n in path]}
            deleted = sum(1 for n in path if n.get("deleted"))
            if deleted:
                meta["deleted_messages"] = deleted
            piece: Parsed | UnitError = Parsed(kind="sft", messages=messages, group_id=group, meta=meta)
        except UnitError as exc:
            piece = exc
        pieces.append((f"/thread-{k}", piece))
    if all(isinstance(p, UnitError) for _, p in pieces):
        first = pieces[0][1]
        assert isinstance(first, UnitError)
        raise UnitError(first.rule, f"the tree has no valid thread ({first.message})")
    return pieces


def parse_transcript(value: Any) -> list[Piece]:
    if type(value) is not str:
        raise bad("record", "is not a text transcript; the `transcript` format applies to .txt files")
    return [("", Parsed(kind="sft", messages=transcript.parse(value)))]


PARSERS: dict[str, Callable[[Any], list[Piece]]] = {
    "openai": parse_openai,
    "sharegpt": parse_sharegpt,
    "alpaca": parse_alpaca,
    "prompt_completion": parse_prompt_completion,
    "preference": preference.parse,
    "openai_dpo": preference.parse_openai_dpo,
    "oasst": parse_oasst,
    "self_instruct": parse_self_instruct,
    "transcript": parse_transcript,
}

_OASST_MESSAGE = {"text", "role", "replies", "message_id", "parent_id"}
CONSUMED: dict[str, frozenset[str]] = {
    "openai": frozenset({"messages", "tools", "functions"}),
    "sharegpt": frozenset({"conversations", "system", "tools"}),
    "alpaca": frozenset({"instruction", "input", "output", "system", "history"}),
    "prompt_completion": frozenset({"prompt", "completion", "question", "answer"}),
    "preference": preference.CONSUMED,
    "openai_dpo": preference.CONSUMED_DPO,
    "oasst": frozenset({"prompt", "message_tree_id", *_OASST_MESSAGE}),
    "self_instruct": frozenset({"instruction", "instances"}),
    "transcript": frozenset(),
}
