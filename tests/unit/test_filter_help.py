"""The filter help the language model sees is generated from domain.filters: every field and operator is in it,
with a description, so a new field cannot be forgotten."""

import re

from agent.tools.common import FILTER_HELP
from domain.filter_help import FIELD_NOTES, OP_NOTES, filter_help
from domain.filters import FIELDS, OPS, parse


def test_every_field_and_operator_has_a_description():
    assert set(FIELD_NOTES) == set(FIELDS)
    every_op = {op for ops in OPS.values() for op in ops} | {"since"}
    assert set(OP_NOTES) == every_op


def test_every_field_and_operator_is_in_the_help_the_model_sees():
    assert FILTER_HELP == filter_help()
    for field in FIELDS:
        assert re.search(rf"\b{field} \(", FILTER_HELP), field
    for op in OP_NOTES:
        assert f"{op} = " in FILTER_HELP, op
    for needed in ("contacted_in_campaign", "email_status", "opted_out (", "updated_at"):
        assert needed in FILTER_HELP


def test_the_examples_in_the_help_are_valid_filters():
    import json

    examples = re.findall(r"\{\"field\": [^{}]*\}", FILTER_HELP)
    assert len(examples) >= 5
    for example in examples:
        parse(json.loads(example))
