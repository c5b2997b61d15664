"""Every keyword word pinned, written out literally here (not read from domain.keywords): removing or adding a word
to a list fails a test. FIELD.md section 5; 47 CFR 64.1200(a)(10) for the per-se revocation words."""

import pytest

from domain import keywords
from domain.keywords import Keyword, classify

OPT_OUT_WORDS = ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT", "OPT-OUT", "OPT OUT",
                 "REMOVE", "ARRET", "TD"]
OPT_IN_WORDS = ["START", "YES", "UNSTOP"]
HELP_WORDS = ["HELP", "INFO"]
PER_SE = ["STOP", "QUIT", "END", "REVOKE", "OPT OUT", "OPT-OUT", "OPTOUT", "CANCEL", "UNSUBSCRIBE"]


def test_the_lists_are_exactly_the_words_pinned_here():
    assert sorted(keywords.OPT_OUT) == sorted(OPT_OUT_WORDS)
    assert sorted(keywords.OPT_IN) == sorted(OPT_IN_WORDS)
    assert sorted(keywords.HELP) == sorted(HELP_WORDS)
    assert sorted(keywords.PER_SE_REVOCATION) == sorted(PER_SE)


def _spellings(word):
    return [word, word.lower(), word.title(), f"  {word.lower()}!  ", f"{word}.", f"{word}?!"]


@pytest.mark.parametrize("word", OPT_OUT_WORDS)
def test_each_opt_out_word_opts_out_in_any_case_and_punctuation(word):
    assert [classify(text) for text in _spellings(word)] == [Keyword.OPT_OUT] * 6


@pytest.mark.parametrize("word", OPT_IN_WORDS)
def test_each_opt_in_word_opts_in(word):
    assert [classify(text) for text in _spellings(word)] == [Keyword.OPT_IN] * 6


@pytest.mark.parametrize("word", HELP_WORDS)
def test_each_help_word_asks_for_help(word):
    assert [classify(text) for text in _spellings(word)] == [Keyword.HELP] * 6


@pytest.mark.parametrize("word", PER_SE)
def test_a_short_message_starting_with_a_per_se_word_opts_out(word):
    filler = ["texting", "me", "now", "please"][:4 - len(word.split())]
    assert classify(f"{word.lower()} please") is Keyword.OPT_OUT
    assert classify(" ".join([word, *filler])) is Keyword.OPT_OUT  # four words in all: still short
    assert classify(" ".join([word, *filler, "ok"])) is None  # five words: an ordinary message


@pytest.mark.parametrize("word", ["REMOVE", "ARRET", "TD", "START", "YES", "UNSTOP", "HELP", "INFO"])
def test_other_words_count_only_as_the_whole_message(word):
    assert classify(f"{word} please") is None


def test_inner_spaces_collapse_and_ordinary_messages_are_not_keywords():
    assert classify("opt    out") is Keyword.OPT_OUT
    assert classify("\topt\nout ") is Keyword.OPT_OUT
    assert [classify(t) for t in ("", "   ", None, "?!", "thanks", "I will remove it")] == [
        None] * 6


@pytest.mark.parametrize("text", ["Ending soon?", "stopping by later", "Cancellation policy?", "Quite good",
                                  "Endless thanks", "Revoked my card, new one soon"])
def test_a_longer_word_that_starts_like_a_per_se_word_is_an_ordinary_message(text):
    assert classify(text) is None


@pytest.mark.parametrize("text", ["Stop, thanks", "END.", "cancel - wrong number", "opt-out pls", "Quit!"])
def test_a_per_se_word_followed_by_punctuation_still_opts_out(text):
    assert classify(text) is Keyword.OPT_OUT
