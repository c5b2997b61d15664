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
