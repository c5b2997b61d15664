"""Accent folding pinned where the mutation run (docs/testing.md) found it unpinned: the whole one-for-one mapping
(built at import, so no test ran its builder), the empty and missing cases of fold, sql_fold and fold_key."""

from domain.folding import FOLD_FROM, FOLD_TO, _build, fold, fold_key, sql_fold

# Latin-1 Supplement and Latin Extended-A/B letters (U+00C0-U+024F) that fold to one plain lower-case letter
FROM = (
    'ÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖØÙÚÛÜÝàáâãäåçèéêëìíîïñòóôõöøùúûüýÿĀ'
    'āĂăĄąĆćĈĉĊċČčĎďĐđĒēĔĕĖėĘęĚěĜĝĞğĠġĢģĤĥĦħĨĩĪīĬĭĮįİıĴĵĶķĹĺĻ'
    'ļĽľŁłŃńŅņŇňŌōŎŏŐőŔŕŖŗŘřŚśŜŝŞşŠšŢţŤťŨũŪūŬŭŮůŰűŲųŴŵŶŷŸŹźŻż'
    'ŽžſƠơƯưǍǎǏǐǑǒǓǔǕǖǗǘǙǚǛǜǞǟǠǡǦǧǨǩǪǫǬǭǰǴǵǸǹǺǻȀȁȂȃȄȅȆȇȈȉȊȋȌȍ'
    'ȎȏȐȑȒȓȔȕȖȗȘșȚțȞȟȦȧȨȩȪȫȬȭȮȯȰȱȲȳ'
)
TO = (
    'aaaaaaceeeeiiiinoooooouuuuyaaaaaaceeeeiiiinoooooouuuuyya'
    'aaaaaccccccccddddeeeeeeeeeegggggggghhhhiiiiiiiiiijjkklll'
    'lllllnnnnnnoooooorrrrrrssssssssttttuuuuuuuuuuuuwwyyyzzzz'
    'zzsoouuaaiioouuuuuuuuuuaaaaggkkoooojggnnaaaaaaeeeeiiiioo'
    'oorrrruuuusstthhaaeeooooooooyy'
)


def test_the_fold_mapping_is_written_out():
    assert _build() == (FROM, TO)
    assert (FOLD_FROM, FOLD_TO) == (FROM, TO)
    assert len(FROM) == len(TO) == 254
    pairs = dict(zip(FROM, TO, strict=True))
    assert [pairs[c] for c in "ÀÿØøŁłĐđıĦħſ"] == list("ayoollddihhs")
    assert "×" not in pairs and "÷" not in pairs and "Æ" not in pairs and "ß" not in pairs  # not one letter


def test_fold_lower_cases_and_removes_accents_and_nothing_is_empty():
    assert fold("José MARTÍNEZ, Łódź") == "jose martinez, lodz"
    assert fold(None) == "" and fold("") == ""


def test_sql_fold_is_the_same_fold_and_keeps_null():
    assert sql_fold("Ørsted À") == "orsted a"
    assert sql_fold(None) is None
    assert sql_fold("") == ""


def test_fold_key_folds_makes_runs_of_spaces_one_and_trims():
    assert fold_key("  São   Paulo\t ") == "sao paulo"
    assert fold_key(2026) == "2026"
    assert fold_key("") == ""
    assert fold_key(None) is None
