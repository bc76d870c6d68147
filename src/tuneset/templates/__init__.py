"""Chat templates: render an example the way the trainer will, and say which tokens are trained.

``target.template`` names a built-in (``chatml``, ``llama3``, ``mistral``, ``gemma``) or a path to a
``.jinja`` file. Every template returns a :class:`Rendered`: the text as pieces, control tokens
marked (one token each) and the trained spans (the assistant's answers with the end-of-turn token
that closes them) marked. The filter stage counts its tokens; ``tuneset show`` prints it.
"""

from __future__ import annotations

from collections.abc import Iterable

from tuneset.templates.base import Builder, Piece, Rendered, Template
from tuneset.templates.chatml import ChatML
from tuneset.templates.gemma import Gemma
from tuneset.templates.jinja import JinjaTemplate, TemplateRenderError
from tuneset.templates.llama3 import Llama3
from tuneset.templates.mistral import Mistral

BUILTINS: dict[str, type] = {"chatml": ChatML, "llama3": Llama3, "mistral": Mistral, "gemma": Gemma}

# Control tokens of the common chat formats. None may appear inside content (normalize's
# stray_special_tokens rule), so any occurrence in a rendered example came from the template.
KNOWN_MARKERS: tuple[str, ...] = tuple(sorted(
    {m for cls in BUILTINS.values() for m in cls.markers}
    | {"<|endoftext|>", "<|end_of_text|>", "<|eom_id|>", "<|python_tag|>", "<eos>"},
    key=lambda s: (-len(s), s)))


def is_template_name(name: str) -> bool:
    return name in BUILTINS or name.endswith(".jinja")


def get_template(name: str, extra_markers: Iterable[str] = ()) -> Template:
    """The template called ``name``: a built-in, or a ``.jinja`` file whose control tokens are the
    known chat markers plus ``extra_markers`` (pass the target tokenizer's special tokens)."""
    if name in BUILTINS:
        return BUILTINS[name]()
    if name.endswith(".jinja"):
        from tuneset.templates import jinja

        return jinja.load(name, markers=set(KNOWN_MARKERS) | set(extra_markers))
    raise ValueError(f"target.template: {name!r} is not one of {', '.join(BUILTINS)} or a path to a .jinja file")


__all__ = ["BUILTINS", "Builder", "ChatML", "Gemma", "JinjaTemplate", "KNOWN_MARKERS", "Llama3", "Mistral",
           "Piece", "Rendered", "Template", "TemplateRenderError", "get_template", "is_template_name"]
