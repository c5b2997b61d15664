"""Page extraction for enrichment (domain/extract.py), the answers written out: what the parser keeps from a page
(JSON-LD, meta, links, text), the contacts and profiles it finds, the Firecrawl markdown path and the cached form
of a page."""

from __future__ import annotations

from domain.extract import Link, PageData, extract, from_markdown, organisations, people, social_links, types_of

URL = "https://acme.test/"


def test_json_ld_split_by_an_end_tag_inside_a_string_is_read_whole_and_text_after_it_is_text():
    # html.parser hands a script's content over in pieces at every "</" it holds
    page = extract('<head><title>Acme <!-- c --> Sons</title><script type="application/ld+json">'
                   '{"@type": "Organization", "name": "Acme", "description": "<p>We fix roofs</p>"}</script>'
                   '<script type="application/ld+json">[{"@type": "Person", "name": "Jo"}]</script>'
                   '<script>var secret = 1;</script></head><body><p>Hi there</p></body>', URL)
    assert page.jsonld == [{"@type": "Organization", "name": "Acme", "description": "<p>We fix roofs</p>"},
                           {"@type": "Person", "name": "Jo"}]
    assert page.jsonld_raw == ('{"@type": "Organization", "name": "Acme", "description": "<p>We fix roofs</p>"}\n'
                               '[{"@type": "Person", "name": "Jo"}]')
    assert page.title == "Acme Sons"
    assert page.text == "Hi there"


def test_a_broken_json_ld_block_does_not_hide_the_next_one():
    page = extract('<script type="application/ld+json">{ not json </script>'
                   '<script type="application/ld+json">{"@type": "Store", "name": "Acme"}</script>', URL)
    assert page.jsonld == [{"@type": "Store", "name": "Acme"}]
    assert page.jsonld_raw == '{ not json \n{"@type": "Store", "name": "Acme"}'


def test_meta_keys_links_and_text_the_parser_keeps():
    page = extract(
        '<head><meta itemprop="name" content="Acme Roofing"><meta content="orphan"><meta name="robots">'
        '<meta name="keywords" content><link rel="stylesheet" href="/s.css"></head>'
        '<body><noscript><iframe src="https://tags.test/ns"></iframe>Enable JavaScript</noscript>'
        '<a href="/team">Our team</a> and more text <a href>empty</a> <a href="/team">Team again</a>'
        '<a href="mailto:Info@Acme.test?subject=Hi?&body=x">mail</a></body>', URL)
    assert page.meta == {"name": "Acme Roofing"}
    assert [(link.href, link.text) for link in page.links] == [
        ("https://acme.test/team", "Our team"), ("mailto:Info@Acme.test?subject=Hi?&body=x", "mail")]
    assert page.text == "Our team and more text empty Team againmail"
    assert page.emails == ["info@acme.test"]


def test_emails_and_phones_are_unique_and_a_phone_has_seven_digits():
    page = extract('<a href="mailto:Jo@Acme.test">a</a><p>jo@acme.test</p><a href="tel:555-0100">b</a>'
                   '<a href="tel:555-010">c</a><a href="tel:555-0100">d</a>', URL)
    assert page.emails == ["jo@acme.test"]
    assert page.phones == ["555-0100"]


def test_people_and_organisations_nested_under_every_key():
    page = extract('<script type="application/ld+json">{"@type": "Organization", "name": "Acme",'
                   '"employees": [{"@type": "Person", "name": "A"}], "member": {"@type": "Person", "name": "B"},'
                   '"founder": {"@type": "Person", "name": "C"}, "author": {"@type": "Person", "name": "D"}}</script>'
                   '<script type="application/ld+json">{"@type": "Person", "name": "E", "address": "1 Main St",'
                   '"worksFor": {"@type": "http://schema.org/Corporation", "name": "Acme Inc"}}</script>'
                   '<script type="application/ld+json">{"@type": "Place", "name": "Depot", "address": "2 Main St"}'
                   '</script>', URL)
    assert [p["name"] for p in people(page)] == ["A", "B", "C", "D", "E"]
    # a Person with an address is no business; another typed node with a name and an address is one
    assert [o["name"] for o in organisations(page)] == ["Acme", "Acme Inc", "Depot"]


def test_a_type_is_named_without_its_namespace():
    assert types_of({"@type": "http://schema.org/Organization"}) == {"Organization"}
    assert types_of({"@type": ["schema:LocalBusiness", "sdo:x:Store", "", None]}) == {"LocalBusiness", "Store"}
    assert types_of({"name": "no type"}) == set()


def test_the_evidence_is_every_part_of_the_page_on_its_own_line():
    page = extract('<head><title>Acme</title><meta name="description" content="Roofs"><meta name="city" '
                   'content="Austin"><script type="application/ld+json">{"@type": "Organization", "name": "Acme",'
                   ' "founded": 1998, "rating": 4.5, "open": true, "fax": null}</script></head>'
                   '<body><p>Hello</p><a href="/a">a</a><a href="/b">b</a></body>', URL)
    assert page.evidence_text() == ("Acme\nHello\nab\nOrganization\nAcme\n1998\n4.5\nRoofs Austin\n"
                                    "https://acme.test/a https://acme.test/b")


def test_same_as_profiles_are_socials():
    page = extract('<script type="application/ld+json">{"@type": "Organization", "name": "Acme", '
                   '"sameAs": ["https://www.facebook.com/acme", 7]}</script>'
                   '<script type="application/ld+json">{"@type": "Person", "name": "Jo", '
                   '"sameAs": "https://github.com/jo"}</script>', URL)
    assert page.socials == {"facebook": ["https://www.facebook.com/acme"], "github": ["https://github.com/jo"]}


def test_social_profiles_on_subdomains_and_what_is_no_profile():
    assert social_links([
        "https://uk.linkedin.com/in/jane", "https://m.facebook.com/acme?ref=1", "https://twitter.com/",
        "https://twitter.com/X", "https://www.linkedin.com/shareArticle?mini=true", "https://x.com/intent/post",
        "https://www.facebook.com/sharer/sharer.php", "https://uk.linkedin.com/in/jane", "mailto:jo@acme.test",
    ]) == {"linkedin": ["https://uk.linkedin.com/in/jane"], "facebook": ["https://m.facebook.com/acme"],
           "twitter": ["https://twitter.com/X"]}


def test_a_firecrawl_document_field_by_field():
    page = from_markdown("# Acme\n\n**Call** [us](tel:+15125550100) or [mail](mailto:info@acme.test) `now`\n"
                         "> [Site](https://acme.test/about)",
                         URL, {"Description": "Roofs", "statusCode": 200, "empty": "", "ogImage": None},
                         ["https://www.linkedin.com/company/acme"])
    assert page == PageData(
        url=URL, title="", text="Acme\nCall us or mail now\nSite",
        meta={"description": "Roofs"},
        links=[Link("https://www.linkedin.com/company/acme", ""), Link("tel:+15125550100", "us"),
               Link("mailto:info@acme.test", "mail"), Link("https://acme.test/about", "Site")],
        emails=["info@acme.test"], phones=["+15125550100"],
        socials={"linkedin": ["https://www.linkedin.com/company/acme"]})
    assert from_markdown("x", URL).title == ""
    assert from_markdown("x", URL, {"title": "Acme"}).title == "Acme"


def test_a_page_is_cached_and_read_back_whole():
    page = extract('<head><title>Acme</title><meta name="description" content="Roofs"></head><body>'
                   '<script type="application/ld+json">{"@type": "Store", "name": "Acme", '
                   '"sameAs": "https://github.com/acme"}</script>'
                   '<p>Call 512-555-0100 or write jo@acme.test</p><a href="/t">Team</a></body>', URL)
    data = page.to_dict()
    assert data == {"title": "Acme", "meta": {"description": "Roofs"},
                    "jsonld": [{"@type": "Store", "name": "Acme", "sameAs": "https://github.com/acme"}],
                    "links": [["https://acme.test/t", "Team"]], "emails": ["jo@acme.test"],
                    "phones": ["512-555-0100"], "socials": {"github": ["https://github.com/acme"]}}
    back = PageData.from_dict("https://acme.test/final", page.text, data)
    assert back == PageData(
        url="https://acme.test/final", title="Acme", text="Call 512-555-0100 or write jo@acme.test\nTeam",
        meta={"description": "Roofs"}, jsonld=[{"@type": "Store", "name": "Acme", "sameAs": "https://github.com/acme"}],
        links=[Link("https://acme.test/t", "Team")], emails=["jo@acme.test"], phones=["512-555-0100"],
        socials={"github": ["https://github.com/acme"]})
    back.meta["x"] = "y"
    back.jsonld.append({})
    back.emails.append("z")
    back.phones.append("1")
    back.socials["x"] = []
    assert data["meta"] == {"description": "Roofs"} and len(data["jsonld"]) == 1  # copies, not the cached data
    assert data["emails"] == ["jo@acme.test"] and data["phones"] == ["512-555-0100"] and "x" not in data["socials"]
    empty = {"title": None, "meta": None, "jsonld": None, "links": None, "emails": None, "phones": None,
             "socials": None}
    assert PageData.from_dict(URL, "t", empty) == PageData(url=URL, text="t")
    assert PageData.from_dict(URL, "t", {}) == PageData(url=URL, text="t")
