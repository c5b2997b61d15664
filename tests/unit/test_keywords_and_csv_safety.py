import pytest

from domain.csv_safety import safe_cell
from domain.keywords import Keyword, classify


@pytest.mark.parametrize("text", ["STOP", "stop", " Stop! ", "unsubscribe", "QUIT.", "opt out", "stop please"])
def test_opt_out_words(text):
    assert classify(text) is Keyword.OPT_OUT


@pytest.mark.parametrize("text", ["START", "yes", "Unstop"])
def test_opt_in_words(text):
    assert classify(text) is Keyword.OPT_IN


def test_help_and_ordinary_messages():
    assert classify("help") is Keyword.HELP
    assert classify("Can you stop by tomorrow at the office?") is None
    assert classify("yes please send me the quote for the roof") is None
    assert classify("") is None


def test_formula_cells_are_neutralised():
    assert safe_cell("=HYPERLINK(\"x\")") == "'=HYPERLINK(\"x\")"
    assert safe_cell("+1 512") == "'+1 512"
    assert safe_cell("@SUM(A1)") == "'@SUM(A1)"
    assert safe_cell("Jane") == "Jane"
    assert safe_cell(None) == ""


def test_plain_numbers_stay_plain_and_anything_else_formula_like_stays_escaped():
    for plain in ("+15125550100", "-12", "-3.50", "+0.5", "+447911123456"):
        assert safe_cell(plain) == plain
    for formula in ("+1 512", "-1+1", "+1(512)555-0100", "=1", "-", "+", "-1e5", "+15125550100\n", "-2+cmd|' /C calc'!A0",
                    "+١٢٣", "@1", "\t1", "-1.", "+1,5"):
        assert safe_cell(formula) == "'" + formula, formula
