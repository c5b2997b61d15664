from domain.contacts import (
    normalise_email,
    normalise_phone,
    normalise_website,
    split_full_name,
    timezone_for_phone,
)


def test_email_is_trimmed_lower_cased_and_checked():
    assert normalise_email("  Jane.Doe@ACME.com ").value == "jane.doe@acme.com"
    assert normalise_email("mailto:a@b.co").value == "a@b.co"
    bad = normalise_email("jane@@acme")
    assert bad.value is None and "invalid email" in bad.error
    assert normalise_email("").value is None and normalise_email("").error is None


def test_phone_goes_to_e164_with_the_extension_apart():
    assert normalise_phone("(512) 555-0100").value == "+15125550100"
    result = normalise_phone("512.555.0100 ext. 42")
    assert (result.value, result.extra) == ("+15125550100", "42")
    assert normalise_phone("0044 20 7946 0958").value == "+442079460958"
    assert normalise_phone("020 7946 0958", "GB").value == "+442079460958"
    assert normalise_phone("12345").error.startswith("invalid phone")


def test_website_becomes_canonical_https_and_domain():
    url, domain = normalise_website("WWW.Acme.com/")
    assert (url.value, domain) == ("https://www.acme.com", "acme.com")
    url, domain = normalise_website("not a site")
    assert url.value is None and domain is None and url.error


def test_full_names_split_both_ways():
    assert split_full_name(" Jane   Doe ") == ("Jane", "Doe")
    assert split_full_name("Doe, Jane") == ("Jane", "Doe")
    assert split_full_name("Cher") == ("Cher", None)


def test_time_zone_from_a_phone_number_when_it_is_unambiguous():
    assert timezone_for_phone("+15125550100") == "America/Chicago"
    assert timezone_for_phone("+442079460958") == "Europe/London"


def test_edges_of_email_and_phone_text_written_out():
    from domain.contacts import Normalised, normalise_email, parse_phone, split_phone_text

    assert normalise_email("<Xavier.Xu@Acme.com>") == Normalised("xavier.xu@acme.com")  # only the brackets go
    assert split_phone_text(None) == ("", None)
    assert split_phone_text(" +1 512 555 0100 ext. 42 ") == ("+1 512 555 0100", "42")
    assert split_phone_text("0044 20 7946 0958") == ("+44 20 7946 0958", None)
    assert parse_phone(None) == (None, None, None) and parse_phone("   ") == (None, None, None)
    number, ext, error = parse_phone("(512) 555-0100")  # a national number, read in the default region: US
    assert (number.country_code, number.national_number, ext, error) == (1, 5125550100, None, None)


def test_what_makes_a_website_and_its_limits_written_out():
    from domain.contacts import Normalised, normalise_website

    assert normalise_website(None) == (Normalised(None), None)
    assert normalise_website("Acme.com/TAX/") == (Normalised("https://acme.com/TAX"), "acme.com")
    for bad in ("acme .com", "localhost", "ftp://acme.com", "https://", "[oops"):  # "[oops": urlsplit refuses it
        assert normalise_website(bad) == (Normalised(None, f"invalid website {bad!r}"), None), bad
    host = ("a" * 49 + ".") * 5 + "com"  # 253 characters: the longest name DNS allows
    assert normalise_website(host) == (Normalised(f"https://{host}"), host)
    assert normalise_website("a" + host) == (Normalised(None, f"invalid website {'a' + host!r}"), None)
    path = "/" + "p" * (500 - len("https://acme.com/"))  # the whole URL: exactly 500 characters
    assert normalise_website("acme.com" + path) == (Normalised("https://acme.com" + path), "acme.com")
    assert normalise_website("acme.com" + path + "q") == (
        Normalised(None, "website too long (501 characters, at most 500)"), None)


def test_a_name_with_two_commas_is_last_name_then_the_rest():
    from domain.contacts import split_full_name

    assert split_full_name("Doe, Jane, MD") == ("Jane, MD", "Doe")
